import { describe, expect, it } from "vitest";
import { forgetBuiltValues, once } from "../src/once.ts";

describe("once", () => {
  it("builds a value on first use and keeps it", () => {
    let builds = 0;
    const value = once(() => ({ build: ++builds }));
    expect(builds).toBe(0);
    expect(value()).toBe(value());
    expect(builds).toBe(1);
  });

  it("builds again after forgetBuiltValues, once more and then kept", () => {
    let builds = 0;
    const value = once(() => ({ build: ++builds }));
    const first = value();
    forgetBuiltValues();
    const second = value();
    expect(second).not.toBe(first);
    expect(second).toEqual({ build: 2 });
    expect(value()).toBe(second);
  });
});
