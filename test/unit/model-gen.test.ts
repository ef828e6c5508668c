// The committed models must be exactly what scripts/gen-model.ts makes from the installed SDK packages.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generateModel, MODEL_SOURCES, renderModel, type ModelSource } from "../../scripts/gen-model.js";
import type { ApiModel } from "../../src/protocol/model.js";

function sourceOf(service: string): ModelSource {
  const found = MODEL_SOURCES.find((s) => s.service === service);
  if (!found) throw new Error(`no model source for ${service}`);
  return found;
}

function committedModel(from: ModelSource): { text: string; model: ApiModel } {
  const text = readFileSync(from.output, "utf8");
  return { text, model: JSON.parse(text) as ApiModel };
}

describe("scripts/gen-model.ts", () => {
  it("generates one model per product: cvm and sts", () => {
    expect(MODEL_SOURCES.map((s) => s.service)).toEqual(["cvm", "sts"]);
  });

  describe.each(MODEL_SOURCES.map((s) => [s.service, s] as const))("src/products/%s/model.gen.json", (service, from) => {
    const committed = committedModel(from);

    it("is up to date with scripts/gen-model.ts (byte for byte)", () => {
      expect(
        committed.text,
        `src/products/${service}/model.gen.json is stale or hand-edited: run \`npm run gen:model\` and commit the result`,
      ).toBe(renderModel(generateModel(from)));
    });

    it("lives where the product imports it from", () => {
      expect(from.output.replace(/\\/g, "/")).toMatch(new RegExp(`/src/products/${service}/model\\.gen\\.json$`));
    });

    it("is taken from the product's official Node SDK package", () => {
      expect(committed.model.service).toBe(service);
      expect(committed.model.version).toBe(from.version);
      expect(committed.model.source).toMatch(new RegExp(`^tencentcloud-sdk-nodejs-${service}@\\d+\\.\\d+\\.\\d+$`));
    });

    it("pairs each action with a request and a response type in the model", () => {
      for (const [name, action] of Object.entries(committed.model.actions)) {
        expect(action, name).toEqual({ request: `${name}Request`, response: `${name}Response` });
        expect(committed.model.types[action.request], action.request).toBeDefined();
        expect(committed.model.types[action.response], action.response).toBeDefined();
      }
    });

    it("refers only to scalar types and types it defines", () => {
      const scalars = new Set(["string", "number", "boolean", "any"]);
      for (const [typeName, struct] of Object.entries(committed.model.types)) {
        for (const [field, model] of Object.entries(struct)) {
          expect(scalars.has(model.type) || model.type in committed.model.types, `${typeName}.${field}: ${model.type}`).toBe(true);
        }
      }
    });
  });
});

describe("the CVM model", () => {
  const { model } = committedModel(sourceOf("cvm"));

  it("is CVM 2017-03-12 with 106 actions", () => {
    expect(model.version).toBe("2017-03-12");
    expect(Object.keys(model.actions).length).toBe(106);
    for (const name of ["DescribeInstances", "RunInstances", "StopInstances", "DescribeZones", "DescribeRegions"]) {
      expect(model.actions[name], name).toBeDefined();
    }
  });

  it("models DescribeZonesRequest (`= null` in the SDK) as an empty structure", () => {
    expect(model.types.DescribeZonesRequest).toEqual({});
  });

  it("has Filter with required Name and Values", () => {
    expect(model.types.Filter).toEqual({
      Name: { type: "string", required: true },
      Values: { type: "string", array: 1, required: true },
    });
  });
});

describe("the STS model", () => {
  const { model } = committedModel(sourceOf("sts"));

  it("is STS 2018-08-13 with GetFederationToken, GetCallerIdentity and the role actions", () => {
    expect(model.version).toBe("2018-08-13");
    for (const name of ["GetFederationToken", "GetCallerIdentity", "AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"]) {
      expect(model.actions[name], name).toBeDefined();
    }
  });

  it("has GetFederationTokenRequest with required Name and Policy and an optional DurationSeconds", () => {
    expect(model.types.GetFederationTokenRequest).toEqual({
      Name: { type: "string", required: true },
      Policy: { type: "string", required: true },
      DurationSeconds: { type: "number" },
    });
  });

  it("models GetCallerIdentityRequest (`= null` in the SDK) as an empty structure", () => {
    expect(model.types.GetCallerIdentityRequest).toEqual({});
  });

  it("has Credentials with Token, TmpSecretId and TmpSecretKey", () => {
    expect(Object.keys(model.types.Credentials ?? {}).sort()).toEqual(["TmpSecretId", "TmpSecretKey", "Token"]);
  });
});
