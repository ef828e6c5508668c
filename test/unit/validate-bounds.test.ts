// The generic request bounds of the validator (every string and every list of every request, before any
// handler runs) and the depth bound of flattened parameter names.
import { describe, expect, it } from "vitest";
import type { ApiModel } from "../../src/protocol/model.js";
import { MAX_NAME_DEPTH, unflatten, unflattenRaw } from "../../src/protocol/params.js";
import { ModelValidator, modelToJsonSchema, REQUEST_BOUNDS } from "../../src/protocol/validate.js";
import modelFile from "../../src/products/cvm/model.gen.json" with { type: "json" };
import { apiErrorOf } from "../helpers/api-error.js";

const model = modelFile as ApiModel;
const validator = new ModelValidator(model);

const reject = (action: string, params: unknown) => apiErrorOf(() => validator.validate(action, params));

describe("REQUEST_BOUNDS", () => {
  it("is 64 KiB per string and 1000 items per list: above every documented limit, far below the body limit", () => {
    expect(REQUEST_BOUNDS).toEqual({ maxStringLength: 65536, maxArrayItems: 1000 });
    // UserData, the longest documented string, is 16 KiB once decoded: about 21.8 KiB of base64.
    expect(REQUEST_BOUNDS.maxStringLength).toBeGreaterThan(Math.ceil((16 * 1024) / 3) * 4);
  });
});

describe("strings", () => {
  it("a string of exactly the limit passes; one character more → InvalidParameterValue naming the parameter and the limit", () => {
    expect(() => validator.validate("RunInstances", { InstanceName: "n".repeat(65536) })).not.toThrow();
    const error = reject("RunInstances", { InstanceName: "n".repeat(65537) });
    expect(error.code).toBe("InvalidParameterValue");
    expect(error.message).toBe("The parameter `InstanceName` is longer than the limit of 65536 characters.");
    expect(error.messageIn("zh-CN")).toBe("参数`InstanceName`长度超过 65536 个字符的限制。");
  });

  it("names the path of a nested string, inside structures and lists", () => {
    const big = "x".repeat(200 * 1024);
    expect(reject("DescribeInstances", { Filters: [{ Name: "zone", Values: ["a", big] }] }).message).toBe(
      "The parameter `Filters.0.Values.1` is longer than the limit of 65536 characters.",
    );
    expect(reject("RunInstances", { Placement: { Zone: big } }).message).toBe("The parameter `Placement.Zone` is longer than the limit of 65536 characters.");
    expect(reject("RunInstances", { TagSpecification: [{ ResourceType: "instance", Tags: [{ Key: "k", Value: big }] }] }).message).toBe(
      "The parameter `TagSpecification.0.Tags.0.Value` is longer than the limit of 65536 characters.",
    );
  });

  it("counts characters, not bytes", () => {
    expect(() => validator.validate("RunInstances", { InstanceName: "名".repeat(65536) })).not.toThrow();
    expect(reject("RunInstances", { InstanceName: "名".repeat(65537) }).code).toBe("InvalidParameterValue");
  });

  it("a wrong type is still InvalidParameter, not a bound", () => {
    expect(reject("RunInstances", { InstanceName: 5 }).code).toBe("InvalidParameter");
  });
});

describe("lists", () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `ins-${String(i).padStart(8, "0")}`);

  it("a list of exactly the limit passes; one item more → InvalidParameterValue with the counts", () => {
    expect(() => validator.validate("DescribeInstances", { InstanceIds: ids(1000) })).not.toThrow();
    const error = reject("DescribeInstances", { InstanceIds: ids(1001) });
    expect(error.code).toBe("InvalidParameterValue");
    expect(error.message).toBe("The parameter `InstanceIds` accepts at most 1000 items, but 1001 were given.");
    expect(error.messageIn("zh-CN")).toBe("参数`InstanceIds`最多包含 1000 项，实际传入 1001 项。");
  });

  it("names the path of a nested list", () => {
    const error = reject("DescribeInstances", { Filters: [{ Name: "zone", Values: ["a"] }, { Name: "zone", Values: Array(1001).fill("a") }] });
    expect(error.message).toBe("The parameter `Filters.1.Values` accepts at most 1000 items, but 1001 were given.");
  });

  it("checks the length before the items, so a huge list is refused without looking at its items", () => {
    // Every item has the wrong type: checked first, the items would answer InvalidParameter.
    const error = reject("DescribeInstances", { InstanceIds: Array(50_000).fill(0) });
    expect(error.code).toBe("InvalidParameterValue");
    expect(error.message).toBe("The parameter `InstanceIds` accepts at most 1000 items, but 50000 were given.");
  });
});

describe("custom bounds and the schema", () => {
  const tiny: ApiModel = {
    service: "t",
    version: "v",
    source: "test",
    actions: { Do: { request: "DoRequest", response: "DoResponse" } },
    types: {
      DoRequest: { Name: { type: "string" }, Grid: { type: "number", array: 2 }, Items: { type: "Item", array: 1 }, Blob: { type: "any" } },
      Item: { Label: { type: "string", required: true } },
      DoResponse: {},
    },
  };

  it("ModelValidator takes other bounds, applied at every level of a multi-dimensional list", () => {
    const v = new ModelValidator(tiny, { maxStringLength: 3, maxArrayItems: 2 });
    expect(() => v.validate("Do", { Name: "abc", Grid: [[1, 2], [3]], Items: [{ Label: "xyz" }] })).not.toThrow();
    expect(apiErrorOf(() => v.validate("Do", { Name: "abcd" })).message).toBe("The parameter `Name` is longer than the limit of 3 characters.");
    expect(apiErrorOf(() => v.validate("Do", { Grid: [[1], [2], [3]] })).message).toBe("The parameter `Grid` accepts at most 2 items, but 3 were given.");
    expect(apiErrorOf(() => v.validate("Do", { Grid: [[1], [2, 3, 4]] })).message).toBe("The parameter `Grid.1` accepts at most 2 items, but 3 were given.");
    expect(apiErrorOf(() => v.validate("Do", { Items: [{ Label: "long" }] })).message).toBe("The parameter `Items.0.Label` is longer than the limit of 3 characters.");
    // A required field missing in a bounded structure is still MissingParameter.
    expect(apiErrorOf(() => v.validate("Do", { Items: [{}] })).code).toBe("MissingParameter");
  });

  it("any-typed fields carry no bounds (no model of the served products has one)", () => {
    const v = new ModelValidator(tiny, { maxStringLength: 3, maxArrayItems: 2 });
    expect(() => v.validate("Do", { Blob: ["long string", 1, 2, 3] })).not.toThrow();
    const anyFields = Object.values(model.types).flatMap((struct) => Object.values(struct).filter((f) => f.type === "any"));
    expect(anyFields).toEqual([]);
  });

  it("modelToJsonSchema without bounds is unchanged; with bounds, every string and list of the CVM model is bounded", () => {
    const plain = modelToJsonSchema(model).$defs as Record<string, { properties: Record<string, Record<string, unknown>> }>;
    expect(plain.DescribeInstancesRequest!.properties.InstanceIds).toEqual({ type: "array", items: { type: "string" } });

    const bounded = modelToJsonSchema(model, REQUEST_BOUNDS).$defs as typeof plain;
    expect(bounded.DescribeInstancesRequest!.properties.InstanceIds).toEqual({ type: "array", maxItems: 1000, items: { type: "string", maxLength: 65536 } });
    let strings = 0;
    let lists = 0;
    const visit = (schema: Record<string, unknown>, where: string): void => {
      if (schema.type === "string") {
        expect(schema.maxLength, where).toBe(65536);
        strings++;
      }
      if (schema.type === "array") {
        expect(schema.maxItems, where).toBe(1000);
        lists++;
        visit(schema.items as Record<string, unknown>, `${where}[]`);
      }
    };
    for (const [name, def] of Object.entries(bounded)) for (const [field, schema] of Object.entries(def.properties)) visit(schema, `${name}.${field}`);
    expect(strings).toBeGreaterThan(300);
    expect(lists).toBeGreaterThan(100);
  });
});

describe("flattened parameter names", () => {
  it(`accept up to ${MAX_NAME_DEPTH} segments and refuse more with InvalidParameter`, () => {
    const name = (segments: number) => ["A", ...Array.from({ length: segments - 1 }, () => "B")].join(".");
    expect(() => unflattenRaw([[name(MAX_NAME_DEPTH), "x"]])).not.toThrow();
    const error = apiErrorOf(() => unflattenRaw([[name(MAX_NAME_DEPTH + 1), "x"]]));
    expect(error.code).toBe("InvalidParameter");
    expect(error.message).toContain(`nested ${MAX_NAME_DEPTH + 1} levels deep; at most ${MAX_NAME_DEPTH} are allowed`);
  });

  it("a name thousands of levels deep is an API error, not a stack overflow", () => {
    for (const key of ["Filters" + ".0".repeat(10_000), "Filters" + ".a".repeat(100_000)]) {
      const error = apiErrorOf(() => unflatten(model, "DescribeInstancesRequest", [[key, "x"]]));
      expect(error.code).toBe("InvalidParameter");
      expect(error.message.length).toBeLessThan(key.length);
    }
  });

  it("the deepest parameter of the CVM model is far from the limit", () => {
    const depthOf = (type: string, seen: readonly string[]): number =>
      Math.max(
        0,
        ...Object.values(model.types[type] ?? {}).map((f) => 1 + (f.array ?? 0) + (model.types[f.type] && !seen.includes(f.type) ? depthOf(f.type, [...seen, f.type]) : 0)),
      );
    const deepest = Math.max(...Object.values(model.actions).map((a) => depthOf(a.request, [a.request])));
    expect(deepest).toBeLessThan(MAX_NAME_DEPTH / 2);
  });
});
