// The checks that keep web pages away (Host allow-list, browser marks) and the body-memory bound, unit by unit.
import { describe, expect, it } from "vitest";
import { BodyBudget, type BodyHolder } from "../../src/http/body-budget.js";
import { hostAllowed, hostNameOf, isLoopbackAddress, sentByWebPage } from "../../src/http/request-guard.js";

describe("hostNameOf", () => {
  it.each([
    ["127.0.0.1:4577", "127.0.0.1"],
    ["http://127.0.0.1:4577", "127.0.0.1"],
    ["[::1]:4577", "::1"],
    ["CVM.TencentCloudAPI.com.", "cvm.tencentcloudapi.com"],
    ["user:pw@cvm.tencentcloudapi.com", "cvm.tencentcloudapi.com"],
    ["localhost", "localhost"],
  ])("%s → %s", (header, name) => expect(hostNameOf(header)).toBe(name));
});

describe("hostAllowed", () => {
  const none = { allowedHosts: [] };
  it("answers addresses, loopback names and Tencent Cloud's API names", () => {
    for (const host of ["127.0.0.1:1", "10.1.2.3", "[::1]:80", "[fe80::1]", "localhost:4577", "app.localhost", "cvm.tencentcloudapi.com", "cvm.ap-guangzhou.tencentcloudapi.com", "http://127.0.0.1:4577"]) {
      expect(hostAllowed(host, none), host).toBe(true);
    }
    expect(hostAllowed(undefined, none)).toBe(true);
  });

  it("refuses names a rebinding page would send, look-alikes included", () => {
    for (const host of ["evil.example", "cvm.tencentcloudapi.com.evil.example", "eviltencentcloudapi.com", "localhost.evil.example", "127.0.0.1.nip.io"]) {
      expect(hostAllowed(host, none), host).toBe(false);
    }
  });

  it("answers the operator's names with their subdomains, and anything with *", () => {
    const policy = { allowedHosts: ["tclocal.test", ".other.test"] };
    expect(hostAllowed("cvm.tclocal.test:4577", policy)).toBe(true);
    expect(hostAllowed("tclocal.test", policy)).toBe(true);
    expect(hostAllowed("vpc.other.test", policy)).toBe(true);
    expect(hostAllowed("nottclocal.test", policy)).toBe(false);
    expect(hostAllowed("evil.example", { allowedHosts: ["*"] })).toBe(true);
  });
});

describe("sentByWebPage and isLoopbackAddress", () => {
  it("knows the browser's marks", () => {
    expect(sentByWebPage({ origin: "null" })).toBe(true);
    expect(sentByWebPage({ "sec-fetch-site": "cross-site" })).toBe(true);
    expect(sentByWebPage({ "sec-fetch-site": "same-origin" })).toBe(true);
    expect(sentByWebPage({ "sec-fetch-site": "none" })).toBe(false);
    expect(sentByWebPage({ host: "127.0.0.1" })).toBe(false);
  });

  it("knows loopback listen addresses", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "localhost"]) expect(isLoopbackAddress(host), host).toBe(true);
    for (const host of ["0.0.0.0", "::", "192.168.1.5"]) expect(isLoopbackAddress(host), host).toBe(false);
  });
});

describe("BodyBudget", () => {
  const holder = (evicted: BodyHolder[]): BodyHolder => {
    const h: BodyHolder = { evict: () => evicted.push(h) };
    return h;
  };

  it("evicts the largest other holder while it is larger than the asker's need, and refuses when none is", () => {
    const evicted: BodyHolder[] = [];
    const budget = new BodyBudget(100);
    const big = holder(evicted);
    const small = holder(evicted);
    expect(budget.take(big, 80)).toBe(true);
    expect(budget.take(small, 10)).toBe(true);
    expect(budget.take(small, 20)).toBe(true);
    expect(evicted).toEqual([big]);
    expect(budget.heldBytes).toBe(30);
    const third = holder(evicted);
    expect(budget.take(third, 60)).toBe(true);
    expect(budget.take(third, 20)).toBe(false);
    expect(budget.heldBytes).toBe(90);
    budget.release(third);
    budget.release(third);
    expect(budget.heldBytes).toBe(30);
  });
});
