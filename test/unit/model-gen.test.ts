// The committed CVM model must be exactly what scripts/gen-model.ts makes from the installed SDK package.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generateModel, OUTPUT, renderModel } from "../../scripts/gen-model.js";
import type { ApiModel } from "../../src/protocol/model.js";

const committedText = readFileSync(OUTPUT, "utf8");
const committed = JSON.parse(committedText) as ApiModel;

describe("src/products/cvm/model.gen.json", () => {
  it("is up to date with scripts/gen-model.ts (byte for byte)", () => {
    const generated = renderModel(generateModel());
    expect(
      committedText,
      "src/products/cvm/model.gen.json is stale or hand-edited: run `npm run gen:model` and commit the result",
    ).toBe(generated);
  });

  it("lives where the product imports it from", () => {
    expect(OUTPUT.replace(/\\/g, "/")).toMatch(/\/src\/products\/cvm\/model\.gen\.json$/);
  });

  it("is the CVM 2017-03-12 model, taken from the official Node SDK package", () => {
    expect(committed.service).toBe("cvm");
    expect(committed.version).toBe("2017-03-12");
    expect(committed.source).toMatch(/^tencentcloud-sdk-nodejs-cvm@\d+\.\d+\.\d+$/);
  });

  it("has 106 actions, each with a request and a response type in the model", () => {
    const actions = Object.entries(committed.actions);
    expect(actions.length).toBe(106);
    for (const [name, action] of actions) {
      expect(action, name).toEqual({ request: `${name}Request`, response: `${name}Response` });
      expect(committed.types[action.request], action.request).toBeDefined();
      expect(committed.types[action.response], action.response).toBeDefined();
    }
    for (const name of ["DescribeInstances", "RunInstances", "StopInstances", "DescribeZones", "DescribeRegions"]) {
      expect(committed.actions[name], name).toBeDefined();
    }
  });

  it("models DescribeZonesRequest (`= null` in the SDK) as an empty structure", () => {
    expect(committed.types.DescribeZonesRequest).toEqual({});
  });

  it("has Filter with required Name and Values", () => {
    expect(committed.types.Filter).toEqual({
      Name: { type: "string", required: true },
      Values: { type: "string", array: 1, required: true },
    });
  });

  it("refers only to scalar types and types it defines", () => {
    const scalars = new Set(["string", "number", "boolean", "any"]);
    for (const [typeName, struct] of Object.entries(committed.types)) {
      for (const [field, model] of Object.entries(struct)) {
        expect(scalars.has(model.type) || model.type in committed.types, `${typeName}.${field}: ${model.type}`).toBe(true);
      }
    }
  });
});
