import { describe, expect, it } from "vitest";

import { actorName, daysSince, formatDate, formatDateTime, formatMoney, formatMonth, formatRatio, lastMonth,
         todayInShanghai } from "./format";

describe("dates", () => {
  it("shows calendar dates and months in Chinese without shifting them", () => {
    expect(formatDate("2026-03-01")).toBe("2026年3月1日");
    expect(formatDate(null)).toBe("—");
    expect(formatMonth("2026-12")).toBe("2026年12月");
  });
  it("shows a moment in Asia/Shanghai whatever its offset", () => {
    expect(formatDateTime("2026-03-01T01:30:00+00:00")).toBe("2026年3月1日 09:30");
    expect(formatDateTime("2026-03-01T23:30:00+08:00")).toBe("2026年3月1日 23:30");
  });
  it("knows today and last month in Shanghai, across midnight UTC", () => {
    const lateUtc = new Date("2026-03-31T17:00:00Z"); // already 1 April in Shanghai
    expect(todayInShanghai(lateUtc)).toBe("2026-04-01");
    expect(lastMonth(lateUtc)).toBe("2026-03");
    expect(lastMonth(new Date("2026-01-15T04:00:00Z"))).toBe("2025-12");
    expect(daysSince("2026-03-25", lateUtc)).toBe(7);
  });
});

describe("money", () => {
  it("shows yuan with two decimals and thousands, exactly", () => {
    expect(formatMoney("1234567.5")).toBe("¥1,234,567.50");
    expect(formatMoney("0.1")).toBe("¥0.10");
    expect(formatMoney("-2264.52")).toBe("-¥2,264.52");
    expect(formatMoney("99999999999999.99")).toBe("¥99,999,999,999,999.99");
    expect(formatMoney(null)).toBe("—");
    expect(formatMoney("abc")).toBe("abc");
    expect(formatRatio("0.10")).toBe("10%");
  });
});

describe("actorName", () => {
  it("names the systems in Chinese and keeps user names", () => {
    expect(actorName("eligibility")).toBe("系统（资格审核）");
    expect(actorName("health")).toBe("卫生健康部门");
    expect(actorName("town")).toBe("town");
    expect(actorName(null)).toBe("—");
  });
});
