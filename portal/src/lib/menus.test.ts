import { describe, expect, it } from "vitest";

import { MENUS, permissionFor, visibleMenus } from "./menus";

describe("menus follow permissions", () => {
  it("shows a clerk persons and applications, not money or administration", () => {
    const labels = visibleMenus(["persons:read", "persons:write", "applications:read",
                                 "notices:read", "services:read"]).flatMap((g) => g.items.map((i) => i.label));
    expect(labels).toContain("登记人员");
    expect(labels).not.toContain("月度结算");
    expect(labels).not.toContain("用户管理");
  });
  it("drops groups with nothing to show", () => {
    expect(visibleMenus(["audit:read"]).map((g) => g.key)).toEqual(["audit"]);
    expect(visibleMenus([])).toEqual([]);
  });
  it("finds the permission of a page, the most specific entry first", () => {
    expect(permissionFor("/persons/new")).toBe("persons:write");
    expect(permissionFor("/persons/p.abc")).toBe("persons:read");
    expect(permissionFor("/admin/users")).toBe("users:manage");
    expect(permissionFor("/")).toBeUndefined();
    expect(MENUS.every((g) => g.items.every((i) => i.permission.includes(":")))).toBe(true);
  });
});
