import { describe, expect, it } from "vitest";

import { checkCharacter, checkIdNumber, maskIdNumber } from "./idnumber";

describe("ID numbers", () => {
  it("accepts a real number and derives birth date and sex", () => {
    const first17 = "34150219520314163";
    const id = first17 + checkCharacter(first17);
    expect(checkIdNumber(id)).toEqual({ ok: true, birthDate: "1952-03-14", sex: "male" });
    expect(checkIdNumber("11010519491231002X").sex).toBe("female");
  });
  it("refuses a wrong check character, a date that does not exist, the wrong length", () => {
    const first17 = "34150219520314163";
    const wrong = first17 + (checkCharacter(first17) === "0" ? "1" : "0");
    expect(checkIdNumber(wrong)).toMatchObject({ ok: false, message: "身份证号码校验位错误，请核对" });
    expect(checkIdNumber("341502195202301631").message).toBe("身份证号码中的出生日期不存在");
    expect(checkIdNumber("3415021952").message).toBe("身份证号码应为 18 位");
    expect(checkIdNumber("34150219520314163A").ok).toBe(false);
  });
  it("masks as the API does", () => {
    expect(maskIdNumber("341502195203141631")).toBe("3415**********1631");
  });
});
