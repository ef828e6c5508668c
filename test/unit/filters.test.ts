import { describe, expect, it } from "vitest";
import { applyFilters, checkFilters, fuzzy, type Filter, type FilterAccessor } from "../../src/products/cvm/filters.js";
import errorCodes from "../../src/products/cvm/errors.json" with { type: "json" };
import { ApiError, registerErrorCodes } from "../../src/protocol/errors.js";

// The CVM codes (InvalidFilter, …) join the catalog when the product loads; this test loads only the engine.
registerErrorCodes(errorCodes);

interface Box {
  id: string;
  zone: string;
  name: string;
  ips: string[];
  owner?: string;
  tags: { Key: string; Value: string }[];
}

const BOXES: Box[] = [
  { id: "a", zone: "ap-guangzhou-3", name: "CentOS 7.6 64位", ips: ["10.0.0.1", "10.0.0.2"], owner: "alice", tags: [{ Key: "env", Value: "prod" }] },
  { id: "b", zone: "ap-guangzhou-6", name: "Ubuntu Server 22.04 LTS", ips: ["10.0.0.3"], tags: [{ Key: "env", Value: "dev" }, { Key: "team", Value: "prod" }] },
  { id: "c", zone: "ap-guangzhou-3", name: "Windows Server 2019", ips: [], owner: "bob", tags: [] },
];

const ACCESSORS: Record<string, FilterAccessor<Box>> = {
  zone: (b) => b.zone,
  "private-ip-address": (b) => b.ips,
  owner: (b) => b.owner,
  name: fuzzy((b) => b.name),
};

const ids = (filters: Filter[] | undefined): string[] => applyFilters(BOXES, filters, ACCESSORS, (b) => b.tags).map((b) => b.id);

/** Matches the ApiError with this code (and, if given, a message containing `text`). */
const apiErrorWith = (code: string, text?: string) =>
  expect.objectContaining({ code, ...(text !== undefined ? { message: expect.stringContaining(text) } : {}) }) as ApiError;

describe("checkFilters", () => {
  const spec = { names: ["zone", "tag-key", "tag-value"], allowTagKey: true };

  it("accepts no filters, known names and tag:<key> when allowed", () => {
    expect(() => checkFilters(undefined, spec)).not.toThrow();
    expect(() => checkFilters([], spec)).not.toThrow();
    expect(() => checkFilters([{ Name: "zone", Values: ["ap-guangzhou-3"] }, { Name: "tag:env", Values: ["prod"] }], spec)).not.toThrow();
  });

  it("rejects an unknown name with InvalidFilter, naming the parameter and the valid names", () => {
    const call = () => checkFilters([{ Name: "zone", Values: [] }, { Name: "instance-name", Values: ["x"] }], spec);
    expect(call).toThrow(apiErrorWith("InvalidFilter", "Filters.1.Name"));
    expect(call).toThrow(apiErrorWith("InvalidFilter", "zone, tag-key, tag-value, tag:<key>"));
  });

  it("rejects tag:<key> unless the action allows it, and a bare tag: always", () => {
    expect(() => checkFilters([{ Name: "tag:env", Values: ["prod"] }], { names: ["zone"] })).toThrow(apiErrorWith("InvalidFilter"));
    expect(() => checkFilters([{ Name: "tag:", Values: ["prod"] }], spec)).toThrow(apiErrorWith("InvalidFilter"));
  });

  it("allows 5 values by default and rejects 6 with InvalidFilterValue.LimitExceeded", () => {
    expect(() => checkFilters([{ Name: "zone", Values: ["1", "2", "3", "4", "5"] }], spec)).not.toThrow();
    expect(() => checkFilters([{ Name: "zone", Values: ["1"] }, { Name: "zone", Values: ["1", "2", "3", "4", "5", "6"] }], spec)).toThrow(
      apiErrorWith("InvalidFilterValue.LimitExceeded", "Filters.1.Values"),
    );
  });

  it("honours an action's own value limit", () => {
    const oneValue = { names: ["zone"], maxValues: 1 };
    expect(() => checkFilters([{ Name: "zone", Values: ["1"] }], oneValue)).not.toThrow();
    expect(() => checkFilters([{ Name: "zone", Values: ["1", "2"] }], oneValue)).toThrow(apiErrorWith("InvalidFilterValue.LimitExceeded"));
  });

  it("allows 10 filters by default and rejects 11 with InvalidParameterValue.LimitExceeded", () => {
    const filters = (n: number): Filter[] => Array.from({ length: n }, () => ({ Name: "zone", Values: ["x"] }));
    expect(() => checkFilters(filters(10), spec)).not.toThrow();
    expect(() => checkFilters(filters(11), spec)).toThrow(apiErrorWith("InvalidParameterValue.LimitExceeded", "`Filters`"));
    expect(() => checkFilters(filters(3), { ...spec, maxFilters: 2 })).toThrow(apiErrorWith("InvalidParameterValue.LimitExceeded"));
  });
});

describe("applyFilters", () => {
  it("returns every item without filters", () => {
    expect(ids(undefined)).toEqual(["a", "b", "c"]);
    expect(ids([])).toEqual(["a", "b", "c"]);
  });

  it("ORs the values of one filter", () => {
    expect(ids([{ Name: "zone", Values: ["ap-guangzhou-6", "ap-guangzhou-7"] }])).toEqual(["b"]);
    expect(ids([{ Name: "owner", Values: ["alice", "bob"] }])).toEqual(["a", "c"]);
  });

  it("ANDs several filters", () => {
    expect(ids([{ Name: "zone", Values: ["ap-guangzhou-3"] }, { Name: "owner", Values: ["bob"] }])).toEqual(["c"]);
    expect(ids([{ Name: "zone", Values: ["ap-guangzhou-6"] }, { Name: "owner", Values: ["bob"] }])).toEqual([]);
  });

  it("matches a list accessor when any element equals a value", () => {
    expect(ids([{ Name: "private-ip-address", Values: ["10.0.0.2"] }])).toEqual(["a"]);
    expect(ids([{ Name: "private-ip-address", Values: ["10.0.0.9"] }])).toEqual([]);
  });

  it("never matches an item whose accessor gives nothing", () => {
    expect(ids([{ Name: "owner", Values: [""] }])).toEqual([]);
  });

  it("matches exactly unless the accessor is fuzzy", () => {
    expect(ids([{ Name: "zone", Values: ["ap-guangzhou"] }])).toEqual([]);
    expect(ids([{ Name: "name", Values: ["centos"] }])).toEqual(["a"]);
    expect(ids([{ Name: "name", Values: ["SERVER", "nothing"] }])).toEqual(["b", "c"]);
  });

  it("answers tag-key, tag-value and tag:<key> from the tags", () => {
    expect(ids([{ Name: "tag-key", Values: ["team"] }])).toEqual(["b"]);
    expect(ids([{ Name: "tag-value", Values: ["prod"] }])).toEqual(["a", "b"]);
    expect(ids([{ Name: "tag:env", Values: ["prod", "test"] }])).toEqual(["a"]);
    // The key and the value must belong to the same tag: b has env=dev and team=prod.
    expect(ids([{ Name: "tag:team", Values: ["dev"] }])).toEqual([]);
  });

  it("lets an accessor take over a tag filter name", () => {
    const byId = applyFilters(BOXES, [{ Name: "tag-key", Values: ["c"] }], { "tag-key": (b: Box) => b.id }, (b) => b.tags);
    expect(byId.map((b) => b.id)).toEqual(["c"]);
  });

  it("ignores a filter with no values", () => {
    expect(ids([{ Name: "zone", Values: [] }])).toEqual(["a", "b", "c"]);
  });

  it("treats a name without accessor as a programming error", () => {
    expect(() => ids([{ Name: "colour", Values: ["red"] }])).toThrow(/no accessor for filter colour/);
    expect(() => applyFilters(BOXES, [{ Name: "tag-key", Values: ["env"] }], ACCESSORS)).toThrow(/no accessor/);
  });

  it("leaves the input untouched", () => {
    const input = [...BOXES];
    applyFilters(input, [{ Name: "zone", Values: ["ap-guangzhou-6"] }], ACCESSORS);
    expect(input).toEqual(BOXES);
  });
});
