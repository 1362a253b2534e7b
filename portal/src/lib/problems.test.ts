import { describe, expect, it } from "vitest";

import { cleanReason, fieldErrors, problemMessage, retryable } from "./problems";

describe("problems on the form", () => {
  it("puts the gateway's field errors on their fields (dotted and last part)", () => {
    const errors = fieldErrors({ status: 422, invalid_params: [
      { in: "json", name: "consent.given", reason: "必须同意 (bad_consent)" },
      { in: "json", name: "id_number", reason: "身份证号码校验位错误（3415…） (bad_checksum)" }] });
    expect(errors["consent.given"]).toBe("必须同意");
    expect(errors.given).toBe("必须同意");
    expect(errors.id_number).toBe("身份证号码校验位错误（3415…）");
  });
  it("puts a service's refusal on the field it names", () => {
    expect(fieldErrors({ status: 422, detail: "须给出理由", fields: { field: "comment" } }))
      .toEqual({ comment: "须给出理由" });
  });
  it("says what to do by status", () => {
    expect(problemMessage({ status: 412 })).toContain("刷新");
    expect(problemMessage({ status: 503, detail: "服务暂不可用" })).toContain("稍后重试");
    expect(retryable({ status: 504 })).toBe(true);
    expect(retryable({ status: 422 })).toBe(false);
    expect(cleanReason("太短 (too_short)")).toBe("太短");
  });
});
