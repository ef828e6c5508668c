// Request validation generated from the official model: a JSON schema per structure, checked with Ajv.
// Missing required field → MissingParameter; unknown field → UnknownParameter; wrong type → InvalidParameter.
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { apiError, type ApiError } from "./errors.js";
import { isScalar, type ApiModel, type FieldModel } from "./model.js";

type JsonSchema = Record<string, unknown>;

function fieldSchema(field: FieldModel): JsonSchema {
  let schema: JsonSchema = isScalar(field.type)
    ? field.type === "any"
      ? {}
      : { type: field.type }
    : { $ref: `#/$defs/${field.type}` };
  for (let i = 0; i < (field.array ?? 0); i++) schema = { type: "array", items: schema };
  return schema;
}

export function modelToJsonSchema(model: ApiModel): JsonSchema {
  const defs: Record<string, JsonSchema> = {};
  for (const [name, struct] of Object.entries(model.types)) {
    const required = Object.entries(struct)
      .filter(([, f]) => f.required)
      .map(([k]) => k);
    defs[name] = {
      type: "object",
      properties: Object.fromEntries(Object.entries(struct).map(([k, f]) => [k, fieldSchema(f)])),
      ...(required.length > 0 ? { required } : {}),
      additionalProperties: false,
    };
  }
  return { $id: `${model.service}-${model.version}`, $defs: defs };
}

function pathOf(instancePath: string, child?: string): string {
  const parts = instancePath
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (child !== undefined) parts.push(child);
  return parts.join(".");
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  return typeof value;
}

export function toApiError(error: ErrorObject, data: unknown): ApiError {
  switch (error.keyword) {
    case "required": {
      const path = pathOf(error.instancePath, (error.params as { missingProperty: string }).missingProperty);
      return apiError("MissingParameter", {
        en: `The request is missing a required parameter \`${path}\`.`,
        zh: `缺少必需参数\`${path}\`。`,
      });
    }
    case "additionalProperties": {
      const path = pathOf(error.instancePath, (error.params as { additionalProperty: string }).additionalProperty);
      return apiError("UnknownParameter", {
        en: `The parameter \`${path}\` is not recognized.`,
        zh: `参数\`${path}\`未定义。`,
      });
    }
    default: {
      const path = pathOf(error.instancePath);
      const value = path.split(".").reduce<unknown>((v, k) => (k === "" ? v : (v as Record<string, unknown>)?.[k]), data);
      const expected = error.keyword === "type" ? String((error.params as { type: string }).type) : error.message;
      const name = path === "" ? "request" : `parameter \`${path}\``;
      return apiError("InvalidParameter", {
        en: `The ${name} must be of type ${expected}, but ${describe(value)} was given.`,
        zh: `${path === "" ? "请求" : `参数\`${path}\``}类型错误，应为${expected}，实际为${describe(value)}。`,
      });
    }
  }
}

export class ModelValidator {
  private readonly ajv = new Ajv({ allErrors: false, strict: false });
  private readonly cache = new Map<string, ValidateFunction>();
  private readonly schemaId: string;

  constructor(private readonly model: ApiModel) {
    const schema = modelToJsonSchema(model);
    this.schemaId = schema.$id as string;
    this.ajv.addSchema(schema);
  }

  /** Throws the first validation failure as its API error. */
  validate(action: string, params: unknown): void {
    let check = this.cache.get(action);
    if (!check) {
      const act = this.model.actions[action];
      if (!act) throw new Error(`action ${action} is not in the ${this.schemaId} model`);
      check = this.ajv.getSchema(`${this.schemaId}#/$defs/${act.request}`);
      if (!check) throw new Error(`no schema for ${act.request}`);
      this.cache.set(action, check);
    }
    if (!check(params)) throw toApiError(check.errors![0]!, params);
  }
}
