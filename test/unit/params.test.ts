// Flattened parameters (protocol.md §6): flatten / unflattenRaw / unflatten, the form decoder, the
// language parameter and the request-target splitter. Property tests draw requests from the real CVM model.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeForm, parseLanguage } from "../../src/gateway/shape.js";
import { splitTarget } from "../../src/gateway/raw-request.js";
import { isScalar, type ApiModel, type FieldModel } from "../../src/protocol/model.js";
import { flatten, unflatten, unflattenRaw, type ParamValue } from "../../src/protocol/params.js";
import { ModelValidator } from "../../src/protocol/validate.js";
import modelFile from "../../src/products/cvm/model.gen.json" with { type: "json" };
import { apiErrorOf } from "../helpers/api-error.js";

const model = modelFile as ApiModel;

// ---------------------------------------------------------------------------------------------
// Examples: the table of protocol.md §6
// ---------------------------------------------------------------------------------------------

describe("flatten (protocol.md §6 table)", () => {
  it("arrays index from 0", () => {
    expect(flatten({ InstanceIds: ["ins-a", "ins-b"] })).toEqual([
      ["InstanceIds.0", "ins-a"],
      ["InstanceIds.1", "ins-b"],
    ]);
  });

  it("arrays of structures nest their paths", () => {
    expect(flatten({ Filters: [{ Name: "zone", Values: ["ap-guangzhou-1", "ap-guangzhou-2"] }] })).toEqual([
      ["Filters.0.Name", "zone"],
      ["Filters.0.Values.0", "ap-guangzhou-1"],
      ["Filters.0.Values.1", "ap-guangzhou-2"],
    ]);
  });

  it("structures use dotted paths", () => {
    expect(flatten({ Placement: { Zone: "ap-guangzhou-3" } })).toEqual([["Placement.Zone", "ap-guangzhou-3"]]);
  });

  it("numbers and booleans become their decimal / true-false text", () => {
    expect(flatten({ DataDisks: [{ DiskSize: 50 }] })).toEqual([["DataDisks.0.DiskSize", "50"]]);
    expect(flatten({ DryRun: true })).toEqual([["DryRun", "true"]]);
    expect(flatten({ DryRun: false, Limit: -1.5 })).toEqual([
      ["DryRun", "false"],
      ["Limit", "-1.5"],
    ]);
  });

  it("empty arrays, nulls and undefined vanish", () => {
    expect(flatten({ InstanceIds: [] })).toEqual([]);
    expect(flatten({ InstanceIds: null, Limit: undefined, Offset: 0 })).toEqual([["Offset", "0"]]);
    expect(flatten({ Filters: [{ Name: "zone", Values: [] }] })).toEqual([["Filters.0.Name", "zone"]]);
  });

  it("keeps the order of the input and appends to a given list", () => {
    const out: Array<[string, string]> = [["Action", "DescribeInstances"]];
    expect(flatten({ Offset: 0, Limit: 10 }, "", out)).toBe(out);
    expect(out).toEqual([
      ["Action", "DescribeInstances"],
      ["Offset", "0"],
      ["Limit", "10"],
    ]);
    expect(flatten(["a", "b"], "Ids")).toEqual([
      ["Ids.0", "a"],
      ["Ids.1", "b"],
    ]);
  });
});

describe("unflattenRaw", () => {
  it("builds arrays from digit segments and objects from names (§6 table, reversed)", () => {
    expect(
      unflattenRaw([
        ["Filters.0.Name", "zone"],
        ["Filters.0.Values.0", "ap-guangzhou-1"],
        ["Filters.0.Values.1", "ap-guangzhou-2"],
        ["Placement.Zone", "ap-guangzhou-3"],
        ["DataDisks.0.DiskSize", "50"],
        ["DryRun", "True"],
      ]),
    ).toStrictEqual({
      Filters: [{ Name: "zone", Values: ["ap-guangzhou-1", "ap-guangzhou-2"] }],
      Placement: { Zone: "ap-guangzhou-3" },
      DataDisks: [{ DiskSize: "50" }],
      DryRun: "True",
    });
  });

  it("orders array items by index value, not by arrival or text order", () => {
    const pairs: Array<[string, string]> = [];
    for (let i = 11; i >= 0; i--) pairs.push([`InstanceIds.${i}`, `ins-${i}`]);
    expect(unflattenRaw(pairs)).toStrictEqual({ InstanceIds: Array.from({ length: 12 }, (_, i) => `ins-${i}`) });
  });

  it("lets a later duplicate key win", () => {
    expect(
      unflattenRaw([
        ["Limit", "1"],
        ["Limit", "2"],
      ]),
    ).toStrictEqual({ Limit: "2" });
  });

  it("keeps an object when indexes and names are mixed", () => {
    expect(
      unflattenRaw([
        ["A.0", "x"],
        ["A.b", "y"],
      ]),
    ).toStrictEqual({ A: { "0": "x", b: "y" } });
  });

  it("treats a segment with a leading zero as a name, not an index", () => {
    expect(unflattenRaw([["A.01", "x"]])).toStrictEqual({ A: { "01": "x" } });
  });

  it("returns an empty object for no pairs", () => {
    expect(unflattenRaw([])).toStrictEqual({});
  });

  it("rejects an empty segment as InvalidParameter", () => {
    for (const key of ["A..B", ".A", "A.", ""]) {
      const error = apiErrorOf(() => unflattenRaw([[key, "x"]]));
      expect(error.code).toBe("InvalidParameter");
      expect(error.message).toBe(`The parameter name \`${key}\` is malformed: it must be names and indexes joined by single dots, none of them empty.`);
      expect(error.messageIn("zh-CN")).toBe(`参数名\`${key}\`格式错误，应为以单个 . 连接的名称和下标，且各段均不能为空。`);
    }
  });

  it("rejects a name given both as a value and as a structure, in either order", () => {
    const a = apiErrorOf(() =>
      unflattenRaw([
        ["Placement", "x"],
        ["Placement.Zone", "z"],
      ]),
    );
    expect(a.code).toBe("InvalidParameter");
    expect(a.message).toBe("The parameter `Placement.Zone` is given both as a value and as a structure; it must be one or the other.");
    expect(a.messageIn("zh-CN")).toBe("参数`Placement.Zone`同时以取值和结构体的形式传入，只能是其中一种。");
    const b = apiErrorOf(() =>
      unflattenRaw([
        ["Placement.Zone", "z"],
        ["Placement", "x"],
      ]),
    );
    expect(b.code).toBe("InvalidParameter");
    expect(b.message).toBe("The parameter `Placement` is given both as a value and as a structure; it must be one or the other.");
  });
});

describe("unflatten (typed by the CVM model)", () => {
  it("coerces number fields and keeps digit-only strings as strings", () => {
    expect(
      unflatten(model, "DescribeInstancesRequest", [
        ["InstanceIds.0", "123"],
        ["Filters.0.Name", "zone"],
        ["Filters.0.Values.0", "10"],
        ["Offset", "0"],
        ["Limit", "100"],
      ]),
    ).toStrictEqual({
      InstanceIds: ["123"],
      Filters: [{ Name: "zone", Values: ["10"] }],
      Offset: 0,
      Limit: 100,
    });
  });

  it("coerces booleans case-insensitively (Python sends True/False)", () => {
    for (const [text, value] of [
      ["true", true],
      ["True", true],
      ["TRUE", true],
      ["false", false],
      ["False", false],
    ] as const) {
      expect(unflatten(model, "RunInstancesRequest", [["DryRun", text]])).toStrictEqual({ DryRun: value });
    }
  });

  it("coerces leaves inside nested structures and arrays of structures", () => {
    expect(
      unflatten(model, "RunInstancesRequest", [
        ["Placement.Zone", "ap-guangzhou-3"],
        ["Placement.ProjectId", "0"],
        ["DataDisks.0.DiskSize", "50"],
        ["DataDisks.0.DeleteWithInstance", "False"],
        ["DataDisks.1.DiskSize", "-20"],
        ["InstanceCount", "2"],
        ["InstanceName", "007"],
      ]),
    ).toStrictEqual({
      Placement: { Zone: "ap-guangzhou-3", ProjectId: 0 },
      DataDisks: [{ DiskSize: 50, DeleteWithInstance: false }, { DiskSize: -20 }],
      InstanceCount: 2,
      InstanceName: "007",
    });
  });

  it("leaves values that are not of the field's type as strings, for validation to reject", () => {
    expect(
      unflatten(model, "DescribeInstancesRequest", [
        ["Limit", "ten"],
        ["Offset", "0x10"],
      ]),
    ).toStrictEqual({ Limit: "ten", Offset: "0x10" });
    expect(unflatten(model, "RunInstancesRequest", [["DryRun", "yes"]])).toStrictEqual({ DryRun: "yes" });
  });

  it("keeps unknown names, for validation to reject", () => {
    expect(
      unflatten(model, "DescribeInstancesRequest", [
        ["Bogus", "1"],
        ["Filters.0.Extra", "2"],
      ]),
    ).toStrictEqual({ Bogus: "1", Filters: [{ Extra: "2" }] });
  });

  it("coerces the exponent notation String() writes for large and tiny numbers (Node SDK form/GET)", () => {
    expect(
      unflatten(model, "DescribeInstancesRequest", [
        ["Limit", String(1e21)],
        ["Offset", String(5e-324)],
      ]),
    ).toStrictEqual({ Limit: 1e21, Offset: 5e-324 });
    expect(unflatten(model, "DescribeInstancesRequest", [["Limit", "1E3"]])).toStrictEqual({ Limit: 1000 });
    // A string field keeps the text.
    expect(unflatten(model, "DescribeInstancesRequest", [["InstanceIds.0", "1e+21"]])).toStrictEqual({
      InstanceIds: ["1e+21"],
    });
  });

  it("keeps names that are also Object.prototype members as plain own keys, for validation to reject", () => {
    const validator = new ModelValidator(model);
    const cases: Array<[Array<[string, string]>, string]> = [
      [[["__proto__", "x"]], "__proto__"],
      [[["__proto__.Limit", "5"]], "__proto__"],
      [[["constructor", "x"]], "constructor"],
      [
        [
          ["Filters.0.Name", "zone"],
          ["Filters.0.Values.0", "ap-guangzhou-3"],
          ["Filters.0.__proto__.Name", "zone"],
        ],
        "Filters.0.__proto__",
      ],
    ];
    for (const [pairs, unknown] of cases) {
      const params = unflatten(model, "DescribeInstancesRequest", pairs);
      expect(Object.getPrototypeOf(params)).toBe(Object.prototype);
      expect(Object.keys(params)).toEqual([unknown.split(".")[0]]);
      const error = apiErrorOf(() => validator.validate("DescribeInstances", params));
      expect(error.code).toBe("UnknownParameter");
      expect(error.message).toBe(`The parameter \`${unknown}\` is not recognized.`);
    }
    const limit = unflatten(model, "DescribeInstancesRequest", [["__proto__.Limit", "5"]]);
    expect((limit as { Limit?: unknown }).Limit).toBeUndefined();
  });

  it("returns the raw tree for a type the model does not know", () => {
    expect(unflatten(model, "NoSuchRequest", [["Limit", "1"]])).toStrictEqual({ Limit: "1" });
  });
});

describe("decodeForm", () => {
  it("decodes %XX and + as a space, in order", () => {
    expect(decodeForm("b=1&a=x+y%20z&c=%2B%26%3D&d=%E6%9C%AA")).toEqual([
      ["b", "1"],
      ["a", "x y z"],
      ["c", "+&="],
      ["d", "未"],
    ]);
  });

  it("decodes the keys too", () => {
    expect(decodeForm("Filters.0.Values.0=a&Instance%49ds.0=b")).toEqual([
      ["Filters.0.Values.0", "a"],
      ["InstanceIds.0", "b"],
    ]);
  });

  it("skips empty parts and gives a key without = an empty value", () => {
    expect(decodeForm("")).toEqual([]);
    expect(decodeForm("&&a=1&&b&c=&")).toEqual([
      ["a", "1"],
      ["b", ""],
      ["c", ""],
    ]);
  });

  it("splits on the first = only", () => {
    expect(decodeForm("a=b=c")).toEqual([["a", "b=c"]]);
  });

  it("rejects bad percent-encoding as InvalidParameter", () => {
    for (const [text, part] of [["a=%E0%A4%A", "%E0%A4%A"], ["a=%ZZ", "%ZZ"], ["%C3=1", "%C3"], ["a=%FF", "%FF"]] as const) {
      const error = apiErrorOf(() => decodeForm(text));
      expect(error.code).toBe("InvalidParameter");
      expect(error.message).toContain(`\`${part}\` is not correctly URL-encoded`);
      expect(error.messageIn("zh-CN")).toContain(`\`${part}\`不是正确的 URL 编码`);
    }
  });
});

describe("parseLanguage", () => {
  it("defaults to en-US", () => {
    expect(parseLanguage(undefined)).toBe("en-US");
    expect(parseLanguage("")).toBe("en-US");
    expect(parseLanguage("en-US")).toBe("en-US");
  });

  it("accepts zh-CN", () => {
    expect(parseLanguage("zh-CN")).toBe("zh-CN");
  });

  it("rejects anything else as InvalidParameterValue, in both languages", () => {
    for (const value of ["fr-FR", "zh-cn", "en", " en-US"]) {
      const error = apiErrorOf(() => parseLanguage(value));
      expect(error.code).toBe("InvalidParameterValue");
      expect(error.message).toBe(`The language \`${value}\` is not supported; use en-US or zh-CN.`);
      expect(error.messageIn("zh-CN")).toBe(`不支持语言\`${value}\`，可选值为 en-US、zh-CN。`);
    }
  });
});

describe("splitTarget", () => {
  it("splits an origin-form target without decoding the query", () => {
    expect(splitTarget("/?Action=DescribeZones&Name=a%20b+c")).toEqual({
      host: undefined,
      path: "/",
      rawQuery: "Action=DescribeZones&Name=a%20b+c",
    });
  });

  it("takes the host from an absolute-form target (Terraform via HTTP_PROXY)", () => {
    expect(splitTarget("http://cvm.tencentcloudapi.com/?Limit=1")).toEqual({
      host: "cvm.tencentcloudapi.com",
      path: "/",
      rawQuery: "Limit=1",
    });
    expect(splitTarget("https://user:pw@vpc.tencentcloudapi.com:8443/a/b?x=1")).toEqual({
      host: "vpc.tencentcloudapi.com:8443",
      path: "/a/b",
      rawQuery: "x=1",
    });
  });

  it("defaults the path to / and the query to empty", () => {
    expect(splitTarget("http://127.0.0.1:9000")).toEqual({ host: "127.0.0.1:9000", path: "/", rawQuery: "" });
    expect(splitTarget("http://127.0.0.1:9000?a=1")).toEqual({ host: "127.0.0.1:9000", path: "/", rawQuery: "a=1" });
    expect(splitTarget("/")).toEqual({ host: undefined, path: "/", rawQuery: "" });
    expect(splitTarget("")).toEqual({ host: undefined, path: "/", rawQuery: "" });
  });

  it("drops a fragment and keeps a second ? inside the query", () => {
    expect(splitTarget("/p?a=1?b=2#frag")).toEqual({ host: undefined, path: "/p", rawQuery: "a=1?b=2" });
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over the real model
// ---------------------------------------------------------------------------------------------

/** Nested structures are cut at this depth (the deepest CVM request, RunInstances, is 3 levels deep). */
const MAX_DEPTH = 4;

/** Strings of any Unicode, plus the texts that look like numbers or booleans (they must stay strings). */
const anyString: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme" }),
  fc.stringMatching(/^-?\d{1,20}$/),
  fc.constantFrom("", "0", "10", "-1.5", "true", "False", "1e+21", "NaN", "a.b", "x=y&z", "Filters.0.Name"),
);

/**
 * Numbers that survive `String()`: every finite double except -0 (String(-0) is "0", so the sign
 * cannot be carried by any textual encoding; JSON.stringify drops it too).
 */
const anyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .filter((x) => !Object.is(x, -0) && Object.is(Number(String(x)), x)),
);

type Generated = Record<string, ParamValue>;

/** Arbitraries for the structures of an API model, memoised per (type, depth). */
class ModelArbitraries {
  private readonly memo = new Map<string, fc.Arbitrary<Generated> | null>();

  constructor(
    private readonly api: ApiModel,
    /** Always generate the required fields (so the result passes validation). */
    private readonly withRequired: boolean,
  ) {}

  private scalar(type: string): fc.Arbitrary<ParamValue> {
    switch (type) {
      case "number":
        return anyNumber;
      case "boolean":
        return fc.boolean();
      default:
        // "string", and "any" (which coerces nothing, so a string round-trips).
        return anyString;
    }
  }

  /** A field's value, or undefined when its structure cannot be generated within the depth bound. */
  field(field: FieldModel, depth: number): fc.Arbitrary<ParamValue> | undefined {
    let arb: fc.Arbitrary<ParamValue> | undefined = isScalar(field.type)
      ? this.scalar(field.type)
      : // Nested structures must not be empty: `{}` flattens to nothing and vanishes, like an empty array.
        this.struct(field.type, depth + 1, true);
    if (arb === undefined) return undefined;
    for (let i = 0; i < (field.array ?? 0); i++) {
      // Empty arrays vanish on flattening (§6), so every array has at least one item.
      arb = fc.array(arb, { minLength: 1, maxLength: 3 });
    }
    return arb;
  }

  /** A structure with a random subset of its fields (plus the required ones when `withRequired`). */
  struct(typeName: string, depth = 0, nonEmpty = false): fc.Arbitrary<Generated> | undefined {
    const key = `${typeName}@${depth}@${nonEmpty}`;
    if (this.memo.has(key)) return this.memo.get(key) ?? undefined;
    const built = this.build(typeName, depth, nonEmpty);
    this.memo.set(key, built ?? null);
    return built;
  }

  private build(typeName: string, depth: number, nonEmpty: boolean): fc.Arbitrary<Generated> | undefined {
    const struct = this.api.types[typeName];
    if (struct === undefined) throw new Error(`type ${typeName} is not in the model`);
    if (depth > MAX_DEPTH) return undefined;
    const fields: Record<string, fc.Arbitrary<ParamValue>> = {};
    const required: string[] = [];
    for (const [name, field] of Object.entries(struct)) {
      const arb = this.field(field, depth);
      if (arb === undefined) {
        if (this.withRequired && field.required) return undefined;
        continue;
      }
      fields[name] = arb;
      if (this.withRequired && field.required) required.push(name);
    }
    if (nonEmpty && Object.keys(fields).length === 0) return undefined;
    const record: fc.Arbitrary<Generated> = fc
      .record(fields, { requiredKeys: required, noNullPrototype: true })
      .map((r) => r as Generated);
    return nonEmpty && required.length === 0 ? record.filter((r) => Object.keys(r).length > 0) : record;
  }

  request(typeName: string): fc.Arbitrary<Generated> {
    const arb = this.struct(typeName);
    if (arb === undefined) throw new Error(`cannot generate ${typeName} within depth ${MAX_DEPTH}`);
    return arb;
  }
}

/** What unflattenRaw must give back: the same tree with every leaf as its String(). */
function stringLeaves(value: ParamValue): ParamValue {
  if (Array.isArray(value)) return value.map(stringLeaves);
  if (typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stringLeaves(v)]));
  return String(value);
}

const anyOf = new ModelArbitraries(model, false);
const complete = new ModelArbitraries(model, true);
const ACTIONS = Object.keys(model.actions).sort();
const NAMED_REQUESTS = ["DescribeInstancesRequest", "RunInstancesRequest", "DescribeImagesRequest", "StopInstancesRequest"];

describe("flatten ⇄ unflatten round trip (properties over the CVM model)", () => {
  it("the model really has the request types named here", () => {
    for (const name of NAMED_REQUESTS) expect(model.types[name], name).toBeDefined();
    expect(ACTIONS.length).toBe(106);
  });

  for (const typeName of NAMED_REQUESTS) {
    it(`unflatten(flatten(x)) = x for ${typeName}`, () => {
      fc.assert(
        fc.property(anyOf.request(typeName), (x) => {
          expect(unflatten(model, typeName, flatten(x))).toStrictEqual(x);
        }),
        { numRuns: 300 },
      );
    });
  }

  it("unflatten(flatten(x)) = x for the request of every action", () => {
    const arb = fc
      .constantFrom(...ACTIONS)
      .chain((action) => anyOf.request(model.actions[action]!.request).map((x): [string, Generated] => [action, x]));
    fc.assert(
      fc.property(arb, ([action, x]) => {
        expect(unflatten(model, model.actions[action]!.request, flatten(x))).toStrictEqual(x);
      }),
      { numRuns: 1000 },
    );
  });

  it("unflattenRaw(flatten(x)) is x with every leaf as text", () => {
    const arb = fc.constantFrom(...ACTIONS).chain((action) => anyOf.request(model.actions[action]!.request));
    fc.assert(
      fc.property(arb, (x) => {
        const pairs = flatten(x);
        for (const [k, v] of pairs) {
          expect(typeof v).toBe("string");
          expect(k.split(".").every((s) => s !== "")).toBe(true);
        }
        expect(unflattenRaw(pairs)).toStrictEqual(stringLeaves(x));
      }),
      { numRuns: 300 },
    );
  });

  it("a complete request passes validation as JSON and after the flatten round trip", () => {
    const validator = new ModelValidator(model);
    const arb = fc
      .constantFrom(...ACTIONS)
      .chain((action) => {
        const request = complete.struct(model.actions[action]!.request);
        if (request === undefined) throw new Error(`cannot generate a complete ${action}`);
        return request.map((x): [string, Generated] => [action, x]);
      });
    fc.assert(
      fc.property(arb, ([action, x]) => {
        validator.validate(action, x);
        const back = unflatten(model, model.actions[action]!.request, flatten(x));
        validator.validate(action, back);
        expect(back).toStrictEqual(x);
      }),
      { numRuns: 300 },
    );
  });

  it("the arbitraries do reach nested structures and arrays of structures", () => {
    const samples = fc.sample(anyOf.request("RunInstancesRequest"), { numRuns: 200, seed: 42 });
    const keys = new Set(samples.flatMap((x) => flatten(x).map(([k]) => k.replace(/\.\d+/g, ".N"))));
    expect(keys.has("Placement.Zone")).toBe(true);
    expect(keys.has("DataDisks.N.DiskSize")).toBe(true);
  });
});

describe("decodeForm (property)", () => {
  const text = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" }));
  const pairs = fc.array(fc.tuple(text, text), { maxLength: 8 });

  it("decodes what encodeURIComponent encoded, pairs and order intact", () => {
    fc.assert(
      fc.property(pairs, (ps) => {
        const encoded = ps.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
        expect(decodeForm(encoded)).toEqual(ps);
      }),
      { numRuns: 500 },
    );
  });

  it("decodes the form encoding that writes spaces as + (Python, Go)", () => {
    fc.assert(
      fc.property(pairs, (ps) => {
        const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, "+");
        const encoded = ps.map(([k, v]) => `${enc(k)}=${enc(v)}`).join("&");
        expect(decodeForm(encoded)).toEqual(ps);
      }),
      { numRuns: 500 },
    );
  });
});
