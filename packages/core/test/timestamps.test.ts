import { describe, expect, it } from "vitest";
import { canonicalTimestamp, isStoredTimestamp, timestampOrderKey } from "../src/timestamps.ts";

describe("timestamps", () => {
  it("renders the old service's microsecond +00:00 form in DoDeck's millisecond Z form", () => {
    expect(canonicalTimestamp("2026-11-30T15:42:52.089446+00:00")).toBe("2026-11-30T15:42:52.089Z");
    expect(canonicalTimestamp("2026-11-30T15:42:52.089999+00:00")).toBe("2026-11-30T15:42:52.089Z");
  });

  it("renders a timestamp without a fraction (Python omits a zero microsecond)", () => {
    expect(canonicalTimestamp("2026-11-30T15:54:19+00:00")).toBe("2026-11-30T15:54:19.000Z");
  });

  it("converts other offsets to UTC and leaves DoDeck's own form unchanged", () => {
    expect(canonicalTimestamp("2026-11-30T01:00:00.5-02:30")).toBe("2026-11-30T03:30:00.500Z");
    expect(canonicalTimestamp("2026-11-30T15:42:52.089Z")).toBe("2026-11-30T15:42:52.089Z");
  });

  it("rolls an impossible date in DoDeck's form over, as Date does, and keeps every real one", () => {
    expect(canonicalTimestamp("2026-02-30T10:00:00.000Z")).toBe("2026-03-02T10:00:00.000Z");
    expect(canonicalTimestamp("2024-02-29T23:59:59.999Z")).toBe("2024-02-29T23:59:59.999Z");
    expect(canonicalTimestamp("0099-01-01T00:00:00.000Z")).toBe("1999-01-01T00:00:00.000Z");
    for (let day = 0; day < 800; day++) {
      const instant = new Date(Date.UTC(2024, 0, 1) + day * 86_400_037).toISOString();
      expect(canonicalTimestamp(instant)).toBe(instant);
    }
  });

  it("passes through a string neither service wrote, and says it is not a timestamp", () => {
    expect(canonicalTimestamp("yesterday")).toBe("yesterday");
    expect(isStoredTimestamp("yesterday")).toBe(false);
    expect(isStoredTimestamp("2026-11-30T15:54:19+00:00")).toBe(true);
  });

  it("orders instants to the microsecond, whatever their form", () => {
    const ordered = [
      "2026-11-30T15:54:19+00:00",
      "2026-11-30T15:54:19.000001+00:00",
      "2026-11-30T15:54:19.000999+00:00",
      "2026-11-30T15:54:19.001Z",
      "2026-11-30T15:54:19.001500+00:00",
      "2026-11-30T16:54:19.001500+01:00",
      "2026-11-30T15:54:20Z",
    ];
    const keys = ordered.map(timestampOrderKey);
    expect([...keys].sort()).toEqual(keys);
    expect(new Set(keys).size).toBe(ordered.length - 1);
    expect(keys[4]).toBe(keys[5]);
  });
});

describe("timestampOrderKey width", () => {
  it("is 17 digits for every form, so string order is instant order", () => {
    for (const stored of [
      "2026-11-30T15:54:19+00:00",
      "2026-11-30T15:54:19.000001+00:00",
      "2026-11-30T15:54:19.999999+00:00",
      "2026-11-30T15:54:19.5Z",
      "1970-01-01T00:00:00.000001+00:00",
      "not a timestamp",
    ]) {
      expect(timestampOrderKey(stored), stored).toMatch(/^\d{17}$/);
    }
    expect(timestampOrderKey("2026-11-30T15:54:19.000999+00:00")).toBe(
      `${String(Date.parse("2026-11-30T15:54:19Z")).padStart(14, "0")}999`,
    );
  });

  it("sorts what is not a timestamp after every instant", () => {
    expect(
      timestampOrderKey("garbage") > timestampOrderKey("9999-12-31T23:59:59.999999+00:00"),
    ).toBe(true);
  });
});
