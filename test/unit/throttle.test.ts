// Token-bucket request throttling, driven by a fake clock.
import { describe, expect, it } from "vitest";
import type { Clock } from "../../src/clock.js";
import { parseRateLimits, Throttle, type ThrottleOptions } from "../../src/gateway/throttle.js";

class FakeClock implements Clock {
  constructor(public t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
}

function setup(options: ThrottleOptions = { enabled: true, overrides: {} }) {
  const clock = new FakeClock();
  return { clock, throttle: new Throttle(options, clock) };
}

/** How many of `n` immediate calls are allowed. */
function burst(throttle: Throttle, n: number, account = "acct", action = "DescribeInstances", rate = 10): number {
  let allowed = 0;
  for (let i = 0; i < n; i++) if (throttle.take(account, "cvm", action, rate)) allowed++;
  return allowed;
}

describe("Throttle", () => {
  it("a bucket of N allows N immediate calls, then refuses", () => {
    const { throttle } = setup();
    for (let i = 0; i < 10; i++) expect(throttle.take("acct", "cvm", "DescribeInstances", 10), `call ${i + 1}`).toBe(true);
    expect(throttle.take("acct", "cvm", "DescribeInstances", 10)).toBe(false);
    expect(throttle.take("acct", "cvm", "DescribeInstances", 10)).toBe(false);
  });

  it("refills at N per second", () => {
    const { clock, throttle } = setup();
    expect(burst(throttle, 20, "acct", "DescribeInstances", 4)).toBe(4);
    clock.t += 249;
    expect(throttle.take("acct", "cvm", "DescribeInstances", 4)).toBe(false);
    clock.t += 1; // 250 ms after emptying: one token (4 per second)
    expect(throttle.take("acct", "cvm", "DescribeInstances", 4)).toBe(true);
    expect(throttle.take("acct", "cvm", "DescribeInstances", 4)).toBe(false);
    clock.t += 500;
    expect(burst(throttle, 10, "acct", "DescribeInstances", 4)).toBe(2);
    clock.t += 1000;
    expect(burst(throttle, 10, "acct", "DescribeInstances", 4)).toBe(4);
  });

  it("holds at most one second's worth of requests, however long it rests", () => {
    const { clock, throttle } = setup();
    expect(burst(throttle, 5, "acct", "DescribeZones", 5)).toBe(5);
    clock.t += 60_000;
    expect(burst(throttle, 20, "acct", "DescribeZones", 5)).toBe(5);
  });

  it("does not refill when the clock stands still", () => {
    const { throttle } = setup();
    expect(burst(throttle, 3, "acct", "DescribeZones", 3)).toBe(3);
    expect(burst(throttle, 100, "acct", "DescribeZones", 3)).toBe(0);
  });

  it("keeps separate buckets per account", () => {
    const { throttle } = setup();
    expect(burst(throttle, 5, "alice", "DescribeInstances", 3)).toBe(3);
    expect(burst(throttle, 5, "bob", "DescribeInstances", 3)).toBe(3);
    expect(throttle.take("alice", "cvm", "DescribeInstances", 3)).toBe(false);
  });

  it("keeps separate buckets per action and per service", () => {
    const { throttle } = setup();
    expect(burst(throttle, 5, "acct", "DescribeInstances", 2)).toBe(2);
    expect(burst(throttle, 5, "acct", "DescribeZones", 2)).toBe(2);
    expect(throttle.take("acct", "vpc", "DescribeInstances", 2)).toBe(true);
    expect(throttle.take("acct", "cvm", "DescribeInstances", 2)).toBe(false);
  });

  it("an override for the action wins over * and over the documented rate", () => {
    const { throttle } = setup({ enabled: true, overrides: { DescribeZones: 2, "*": 5 } });
    expect(throttle.limitFor("DescribeZones", 20)).toBe(2);
    expect(throttle.limitFor("DescribeInstances", 40)).toBe(5);
    expect(burst(throttle, 10, "acct", "DescribeZones", 20)).toBe(2);
    expect(burst(throttle, 10, "acct", "DescribeInstances", 40)).toBe(5);
  });

  it("without overrides the documented rate applies", () => {
    const { throttle } = setup({ enabled: true, overrides: { DescribeZones: 1 } });
    expect(throttle.limitFor("DescribeInstances", 7)).toBe(7);
    expect(burst(throttle, 10, "acct", "DescribeInstances", 7)).toBe(7);
  });

  it("a rate of 0 refuses everything", () => {
    const { clock, throttle } = setup({ enabled: true, overrides: { RunInstances: 0 } });
    expect(throttle.take("acct", "cvm", "RunInstances", 10)).toBe(false);
    clock.t += 10_000;
    expect(throttle.take("acct", "cvm", "RunInstances", 10)).toBe(false);
  });

  it("a fractional rate gives whole requests only", () => {
    const { clock, throttle } = setup({ enabled: true, overrides: { "*": 0.5 } });
    expect(throttle.take("acct", "cvm", "DescribeZones", 20)).toBe(false);
    clock.t += 1999;
    expect(throttle.take("acct", "cvm", "DescribeZones", 20)).toBe(false);
    clock.t += 1;
    // The bucket holds at most 0.5 tokens, so it never reaches one: 0.5/s means nothing ever passes.
    expect(throttle.take("acct", "cvm", "DescribeZones", 20)).toBe(false);
    const { throttle: t2 } = setup({ enabled: true, overrides: { "*": 2.5 } });
    expect(burst(t2, 10, "acct", "DescribeZones", 20)).toBe(2);
  });

  it("disabled, never refuses", () => {
    const { throttle } = setup({ enabled: false, overrides: { "*": 1, DescribeZones: 0 } });
    expect(burst(throttle, 1000, "acct", "DescribeInstances", 1)).toBe(1000);
    expect(burst(throttle, 100, "acct", "DescribeZones", 1)).toBe(100);
  });
});

describe("parseRateLimits", () => {
  it("off disables throttling", () => {
    expect(parseRateLimits("off", true).enabled).toBe(false);
    expect(parseRateLimits("  off ", true)).toEqual({ enabled: false, overrides: {} });
  });

  it("nothing keeps the given switch and no overrides", () => {
    expect(parseRateLimits(undefined, true)).toEqual({ enabled: true, overrides: {} });
    expect(parseRateLimits("", false)).toEqual({ enabled: false, overrides: {} });
    expect(parseRateLimits("   ", true)).toEqual({ enabled: true, overrides: {} });
  });

  it("parses Action=N lists with * and decimals", () => {
    expect(parseRateLimits("DescribeZones=5,*=100", true)).toEqual({
      enabled: true,
      overrides: { DescribeZones: 5, "*": 100 },
    });
    expect(parseRateLimits(" RunInstances = 2.5 , DescribeInstances=0", true)).toEqual({
      enabled: true,
      overrides: { RunInstances: 2.5, DescribeInstances: 0 },
    });
  });

  it("the parsed options drive a Throttle", () => {
    const clock = new FakeClock();
    const throttle = new Throttle(parseRateLimits("DescribeZones=1,*=3", true), clock);
    expect(burst(throttle, 5, "acct", "DescribeZones", 20)).toBe(1);
    expect(burst(throttle, 5, "acct", "DescribeInstances", 20)).toBe(3);
  });

  it("throws on a bad spec", () => {
    for (const bad of ["DescribeZones", "DescribeZones=", "DescribeZones=abc", "DescribeZones=-1", "=5", "Describe-Zones=5", "A=1,,B=2", "A=1;B=2"]) {
      expect(() => parseRateLimits(bad, true), bad).toThrow(/is not of the form Action=N$/);
    }
  });
});
