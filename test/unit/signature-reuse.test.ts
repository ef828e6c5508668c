import { describe, expect, it } from "vitest";
import { SignatureReuseGuard } from "../../src/auth/signature-reuse.js";

const zones = { action: "DescribeZones", region: "ap-guangzhou", version: "2017-03-12" };
const T = 1_800_000_000;

describe("SignatureReuseGuard", () => {
  it("accepts a signature again for the same use, and answers its first use for another", () => {
    const guard = new SignatureReuseGuard(300);
    expect(guard.check("a".repeat(64), zones, T, T * 1000)).toBeUndefined();
    expect(guard.check("a".repeat(64), zones, T, T * 1000 + 5)).toBeUndefined();
    expect(guard.check("a".repeat(64), { ...zones, action: "DescribeRegions" }, T, T * 1000)).toEqual(zones);
    expect(guard.check("a".repeat(64), { ...zones, region: "ap-shanghai" }, T, T * 1000)).toEqual(zones);
    expect(guard.check("a".repeat(64), { ...zones, version: "2099-01-01" }, T, T * 1000)).toEqual(zones);
    expect(guard.check("b".repeat(64), { ...zones, action: "DescribeRegions" }, T, T * 1000)).toBeUndefined();
  });

  it("forgets a signature once its timestamp is out of the window", () => {
    const guard = new SignatureReuseGuard(300);
    guard.check("a".repeat(64), zones, T, T * 1000);
    expect(guard.check("a".repeat(64), { ...zones, action: "DescribeRegions" }, T, (T + 300) * 1000)).toEqual(zones);
    expect(guard.check("a".repeat(64), { ...zones, action: "DescribeRegions" }, T, (T + 301) * 1000)).toBeUndefined();
  });
});
