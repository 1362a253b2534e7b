// How staff read values: dates and months in Chinese, money in yuan with two
// decimals, ID numbers masked in lists. The API sends ISO dates, months
// YYYY-MM, moments ISO 8601 with an offset and money as strings ("1200.00").

const SHANGHAI = "Asia/Shanghai";

/** 2026-03-01 → 2026年3月1日 (a calendar date: no time zone arithmetic). */
export function formatDate(value: string | null | undefined): string {
  if (!value) return "—";
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  if (!m) return value;
  return `${Number(m[1])}年${Number(m[2])}月${Number(m[3])}日`;
}

/** 2026-03 → 2026年3月 */
export function formatMonth(value: string | null | undefined): string {
  if (!value) return "—";
  const m = /^(\d{4})-(\d{2})$/.exec(value);
  return m ? `${Number(m[1])}年${Number(m[2])}月` : value;
}

/** A moment, shown in Asia/Shanghai: 2026年3月1日 09:30 */
export function formatDateTime(value: string | null | undefined): string {
  if (!value) return "—";
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) return value;
  const parts = new Intl.DateTimeFormat("zh-CN", {
    timeZone: SHANGHAI, year: "numeric", month: "numeric", day: "numeric",
    hour: "2-digit", minute: "2-digit", hour12: false,
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}年${get("month")}月${get("day")}日 ${get("hour")}:${get("minute")}`;
}

/** "1234.5" → ¥1,234.50 (exact: the string is never turned into a float). */
export function formatMoney(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const text = String(value).trim();
  const m = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(text);
  if (!m) return text;
  const whole = m[2].replace(/^0+(?=\d)/, "").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const cents = (m[3] ?? "").padEnd(2, "0");
  return `${m[1] ? "-" : ""}¥${whole}.${cents}`;
}

/** A ratio "0.10" → 10% */
export function formatRatio(value: string | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const n = Number(value);
  return Number.isFinite(n) ? `${Math.round(n * 10000) / 100}%` : value;
}

/** Today in Asia/Shanghai, YYYY-MM-DD. */
export function todayInShanghai(now: Date = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: SHANGHAI }).format(now);
}

/** The month before today's (the one a county settles), YYYY-MM. */
export function lastMonth(now: Date = new Date()): string {
  const [y, m] = todayInShanghai(now).split("-").map(Number);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, "0")}`;
}

/** Whole days from a date to today (Asia/Shanghai): how long something waits. */
export function daysSince(value: string | null | undefined, now: Date = new Date()): number | null {
  if (!value) return null;
  const from = Date.parse(value.slice(0, 10) + "T00:00:00Z");
  const to = Date.parse(todayInShanghai(now) + "T00:00:00Z");
  return Number.isNaN(from) ? null : Math.round((to - from) / 86_400_000);
}

/** Who did something or where a fact came from: a user name as it is; the
 * systems and departments by their Chinese names. */
const SYSTEM_ACTORS: Record<string, string> = {
  eligibility: "系统（资格审核）", institutions: "系统（机构管理）", funding: "系统（资金结算）",
  services_log: "系统（服务记录）", "services-log": "系统（服务记录）", gateway: "系统",
  system: "系统", health: "卫生健康部门", cdpf: "残联", medical_insurance: "医保部门",
  civil_affairs: "民政部门", poverty_office: "乡村振兴部门", clerk: "经办人员登记",
};

export function actorName(by: string | null | undefined): string {
  if (!by) return "—";
  return SYSTEM_ACTORS[by] ?? by;
}
