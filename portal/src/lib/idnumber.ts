// Resident ID numbers (GB 11643-1999) checked on the form as the gateway checks
// them: 18 characters, a real birth date, the ISO 7064 MOD 11-2 check
// character. Birth date and sex follow from the number.

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = "10X98765432";

export interface IdCheck {
  ok: boolean;
  /** why not, in Chinese (the form shows it under the field) */
  message?: string;
  birthDate?: string;
  sex?: "male" | "female";
}

export function checkCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK[sum % 11];
}

export function checkIdNumber(raw: string): IdCheck {
  const value = (raw ?? "").trim().toUpperCase();
  if (value.length !== 18) return { ok: false, message: "身份证号码应为 18 位" };
  if (!/^\d{17}[\dX]$/.test(value)) {
    return { ok: false, message: "前 17 位应为数字，末位为数字或 X" };
  }
  const y = Number(value.slice(6, 10));
  const m = Number(value.slice(10, 12));
  const d = Number(value.slice(12, 14));
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1
      || date.getUTCDate() !== d) {
    return { ok: false, message: "身份证号码中的出生日期不存在" };
  }
  if (checkCharacter(value.slice(0, 17)) !== value[17]) {
    return { ok: false, message: "身份证号码校验位错误，请核对" };
  }
  return {
    ok: true,
    birthDate: `${value.slice(6, 10)}-${value.slice(10, 12)}-${value.slice(12, 14)}`,
    sex: Number(value[16]) % 2 === 1 ? "male" : "female",
  };
}

/** 341502195203141631 → 3415**********1631 (as the API masks it). */
export function maskIdNumber(value: string | null | undefined): string {
  if (!value) return "—";
  return value.length === 18 ? `${value.slice(0, 4)}${"*".repeat(10)}${value.slice(14)}` : value;
}
