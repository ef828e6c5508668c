// Request validation from the CVM model: MissingParameter / UnknownParameter / InvalidParameter, with the
// offending parameter's dotted path in the message, and the JSON schema the validator is built from.
import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/protocol/errors.js";
import type { ApiModel } from "../../src/protocol/model.js";
import { ModelValidator, modelToJsonSchema } from "../../src/protocol/validate.js";
import modelFile from "../../src/products/cvm/model.gen.json" with { type: "json" };
import { apiErrorOf } from "../helpers/api-error.js";

const model = modelFile as ApiModel;
const validator = new ModelValidator(model);

function rejection(action: string, params: unknown): ApiError {
  return apiErrorOf(() => validator.validate(action, params), `${action} ${JSON.stringify(params)}`);
}

describe("ModelValidator (CVM model)", () => {
  it("accepts valid requests", () => {
    expect(() => validator.validate("DescribeInstances", {})).not.toThrow();
    expect(() =>
      validator.validate("DescribeInstances", {
        InstanceIds: ["ins-abcd1234"],
        Filters: [{ Name: "zone", Values: ["ap-guangzhou-3"] }],
        Offset: 0,
        Limit: 20,
      }),
    ).not.toThrow();
    expect(() => validator.validate("DescribeZones", {})).not.toThrow();
    expect(() =>
      validator.validate("RunInstances", {
        Placement: { Zone: "ap-guangzhou-3" },
        DataDisks: [{ DiskSize: 50, DeleteWithInstance: true }],
        DryRun: true,
      }),
    ).not.toThrow();
    expect(() => validator.validate("StopInstances", { InstanceIds: ["ins-1"] })).not.toThrow();
  });

  it("MissingParameter for a missing nested required field, naming Filters.0.Values", () => {
    const error = rejection("DescribeInstances", { Filters: [{ Name: "zone" }] });
    expect(error.code).toBe("MissingParameter");
    expect(error.message).toBe("The request is missing a required parameter `Filters.0.Values`.");
    expect(error.messageIn("zh-CN")).toBe("缺少必需参数`Filters.0.Values`。");
  });

  it("MissingParameter names the index of the item that lacks the field", () => {
    const error = rejection("DescribeInstances", {
      Filters: [
        { Name: "zone", Values: ["a"] },
        { Values: ["b"] },
      ],
    });
    expect(error.code).toBe("MissingParameter");
    expect(error.message).toBe("The request is missing a required parameter `Filters.1.Name`.");
  });

  it("MissingParameter for a missing top-level required field", () => {
    const error = rejection("StopInstances", {});
    expect(error.code).toBe("MissingParameter");
    expect(error.message).toBe("The request is missing a required parameter `InstanceIds`.");
  });

  it("UnknownParameter for an extra top-level field", () => {
    const error = rejection("DescribeInstances", { Limit: 1, Bogus: "x" });
    expect(error.code).toBe("UnknownParameter");
    expect(error.message).toBe("The parameter `Bogus` is not recognized.");
    expect(error.messageIn("zh-CN")).toBe("参数`Bogus`未定义，请检查参数名称是否正确。");
  });

  it("UnknownParameter for any field of an action that takes none", () => {
    const error = rejection("DescribeZones", { Limit: 1 });
    expect(error.code).toBe("UnknownParameter");
    expect(error.message).toBe("The parameter `Limit` is not recognized.");
  });

  it("UnknownParameter for an extra nested field, with its path", () => {
    const inArray = rejection("DescribeInstances", { Filters: [{ Name: "zone", Values: ["a"], Extra: 1 }] });
    expect(inArray.code).toBe("UnknownParameter");
    expect(inArray.message).toBe("The parameter `Filters.0.Extra` is not recognized.");

    const inStruct = rejection("RunInstances", { Placement: { Zone: "ap-guangzhou-3", Zones: "x" } });
    expect(inStruct.code).toBe("UnknownParameter");
    expect(inStruct.message).toBe("The parameter `Placement.Zones` is not recognized.");
  });

  it("InvalidParameter for a string where a number is expected (Limit: \"x\")", () => {
    const error = rejection("DescribeInstances", { Limit: "x" });
    expect(error.code).toBe("InvalidParameter");
    expect(error.message).toBe("The parameter `Limit` must be of type number, but string was given.");
    expect(error.messageIn("zh-CN")).toBe("参数`Limit`类型错误，应为 number 类型，实际传入 string 类型。");
  });

  it("InvalidParameter for a number inside a string array (InstanceIds: [1]), naming the item", () => {
    const error = rejection("DescribeInstances", { InstanceIds: [1] });
    expect(error.code).toBe("InvalidParameter");
    expect(error.message).toBe("The parameter `InstanceIds.0` must be of type string, but number was given.");
  });

  it("InvalidParameter for a scalar where an array is expected, and for null", () => {
    const scalar = rejection("DescribeInstances", { InstanceIds: "ins-1" });
    expect(scalar.code).toBe("InvalidParameter");
    expect(scalar.message).toBe("The parameter `InstanceIds` must be of type array, but string was given.");

    const nul = rejection("DescribeInstances", { Limit: null });
    expect(nul.code).toBe("InvalidParameter");
    expect(nul.message).toBe("The parameter `Limit` must be of type number, but null was given.");
  });

  it("InvalidParameter deep inside arrays of structures", () => {
    const error = rejection("RunInstances", { DataDisks: [{ DiskSize: 50 }, { DiskSize: "big" }] });
    expect(error.code).toBe("InvalidParameter");
    expect(error.message).toBe("The parameter `DataDisks.1.DiskSize` must be of type number, but string was given.");

    const bool = rejection("RunInstances", { DryRun: "true" });
    expect(bool.code).toBe("InvalidParameter");
    expect(bool.message).toBe("The parameter `DryRun` must be of type boolean, but string was given.");
  });

  it("InvalidParameter for a request that is not an object", () => {
    const error = rejection("DescribeInstances", ["x"]);
    expect(error.code).toBe("InvalidParameter");
    expect(error.message).toBe("The request must be of type object, but array was given.");
  });

  it("throws a plain Error (not an API error) for an action the model does not have", () => {
    expect(() => validator.validate("NoSuchAction", {})).toThrow("action NoSuchAction is not in the cvm-2017-03-12 model");
    expect(() => validator.validate("NoSuchAction", {})).not.toThrow(ApiError);
  });
});

describe("modelToJsonSchema", () => {
  const schema = modelToJsonSchema(model);
  const defs = schema.$defs as Record<string, Record<string, unknown>>;

  it("names the schema after the service and version", () => {
    expect(schema.$id).toBe("cvm-2017-03-12");
  });

  it("has one closed object schema per model type", () => {
    expect(Object.keys(defs).sort()).toEqual(Object.keys(model.types).sort());
    for (const [name, def] of Object.entries(defs)) {
      expect(def.type, name).toBe("object");
      expect(def.additionalProperties, name).toBe(false);
    }
  });

  it("maps fields to types, arrays and $refs, and lists the required ones", () => {
    expect(defs.DescribeInstancesRequest).toEqual({
      type: "object",
      properties: {
        InstanceIds: { type: "array", items: { type: "string" } },
        Filters: { type: "array", items: { $ref: "#/$defs/Filter" } },
        Offset: { type: "number" },
        Limit: { type: "number" },
      },
      additionalProperties: false,
    });
    expect(defs.Filter).toEqual({
      type: "object",
      properties: {
        Name: { type: "string" },
        Values: { type: "array", items: { type: "string" } },
      },
      required: ["Name", "Values"],
      additionalProperties: false,
    });
    expect(defs.DescribeZonesRequest).toEqual({ type: "object", properties: {}, additionalProperties: false });
  });

  it("handles any-typed and multi-dimensional fields", () => {
    const tiny: ApiModel = {
      service: "t",
      version: "v",
      source: "test",
      actions: { Do: { request: "DoRequest", response: "DoResponse" } },
      types: {
        DoRequest: { Grid: { type: "number", array: 2 }, Blob: { type: "any", required: true } },
        DoResponse: {},
      },
    };
    const tinyDefs = modelToJsonSchema(tiny).$defs as Record<string, unknown>;
    expect(tinyDefs.DoRequest).toEqual({
      type: "object",
      properties: {
        Grid: { type: "array", items: { type: "array", items: { type: "number" } } },
        Blob: {},
      },
      required: ["Blob"],
      additionalProperties: false,
    });
    const v = new ModelValidator(tiny);
    expect(() => v.validate("Do", { Blob: { anything: [1, "x"] }, Grid: [[1, 2], [3]] })).not.toThrow();
    let caught: unknown;
    try {
      v.validate("Do", { Blob: 1, Grid: [[1, "2"]] });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ApiError);
    expect((caught as ApiError).message).toBe("The parameter `Grid.0.1` must be of type number, but string was given.");
  });
});
