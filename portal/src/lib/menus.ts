// The portal's menus follow the gateway's permission table (GET /api/v1/me
// gives the signed-in user's permissions): an entry is shown only when its
// permission is held. The gateway decides anyway; the menu only spares people
// pages that would answer 403.

export interface MenuItem {
  path: string;
  label: string;
  permission: string;
}

export interface MenuGroup {
  key: string;
  label: string;
  items: MenuItem[];
}

export const MENUS: MenuGroup[] = [
  { key: "dashboard", label: "统计分析", items: [
    { path: "/dashboard", label: "数据看板", permission: "persons:read" },
    { path: "/dashboard/funds", label: "资金看板", permission: "funding:read" },
    { path: "/dashboard/institutions", label: "机构看板", permission: "institutions:read" },
    { path: "/dashboard/services", label: "服务看板", permission: "services:read" },
  ] },
  { key: "persons", label: "人员与资格", items: [
    { path: "/persons", label: "人员查询", permission: "persons:read" },
    { path: "/persons/new", label: "登记人员", permission: "persons:write" },
  ] },
  { key: "applications", label: "申请审核", items: [
    { path: "/applications", label: "申请与审核", permission: "applications:read" },
    { path: "/notices", label: "公示名单", permission: "notices:read" },
  ] },
  { key: "institutions", label: "养护机构", items: [
    { path: "/institutions", label: "机构与床位", permission: "institutions:read" },
  ] },
  { key: "funding", label: "资金结算", items: [
    { path: "/funding/settlement", label: "月度结算", permission: "funding:read" },
    { path: "/jobs", label: "后台任务", permission: "funding:read" },
  ] },
  { key: "services", label: "服务记录", items: [
    { path: "/services/cards", label: "服务卡", permission: "services:read" },
    { path: "/services/records", label: "服务记录", permission: "services:read" },
    { path: "/services/alerts", label: "爱心门铃", permission: "services:read" },
    { path: "/services/visits", label: "逾期探访", permission: "services:read" },
  ] },
  { key: "audit", label: "审计", items: [
    { path: "/audit", label: "审计记录", permission: "audit:read" },
  ] },
  { key: "admin", label: "系统管理", items: [
    { path: "/admin/users", label: "用户管理", permission: "users:manage" },
  ] },
];

/** The groups and entries a user with these permissions sees (empty groups dropped). */
export function visibleMenus(permissions: Iterable<string>): MenuGroup[] {
  const held = new Set(permissions);
  return MENUS.map((g) => ({ ...g, items: g.items.filter((i) => held.has(i.permission)) }))
    .filter((g) => g.items.length > 0);
}

/** The permission a route needs (the most specific menu entry it falls under). */
export function permissionFor(path: string): string | undefined {
  let best: MenuItem | undefined;
  for (const item of MENUS.flatMap((g) => g.items)) {
    if ((path === item.path || path.startsWith(item.path + "/"))
        && (!best || item.path.length > best.path.length)) best = item;
  }
  return best?.permission;
}
