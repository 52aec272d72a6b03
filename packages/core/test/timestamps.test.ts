import { describe, expect, it } from "vitest";
import { canonicalTimestamp, isStoredTimestamp, timestampMicros } from "../src/timestamps.ts";

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
    const micros = ordered.map((stored) => timestampMicros(stored) as number);
    expect([...micros].sort((a, b) => a - b)).toEqual(micros);
    expect(new Set(micros).size).toBe(ordered.length - 1);
    expect(micros[4]).toBe(micros[5]);
  });
});

describe("timestampMicros", () => {
  it("counts microseconds since the epoch, and knows no instant for what is not a timestamp", () => {
    expect(timestampMicros("2026-11-30T15:54:19.000999+00:00")).toBe(
      Date.parse("2026-11-30T15:54:19Z") * 1000 + 999,
    );
    expect(timestampMicros("1970-01-01T00:00:00.000001+00:00")).toBe(1);
    expect(timestampMicros("not a timestamp")).toBeUndefined();
  });
});
