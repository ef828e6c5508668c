// Request validation generated from the official model: a JSON schema per structure, checked with Ajv.
// Missing required field → MissingParameter; unknown field → UnknownParameter; wrong type → InvalidParameter;
// a string or list past the generic request bounds → InvalidParameterValue.
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { apiError, type ApiError } from "./errors.js";
import { atMostText, ITEMS, missingParameterText } from "./messages.js";
import { isScalar, type ApiModel, type FieldModel } from "./model.js";
import { own } from "./own.js";

type JsonSchema = Record<string, unknown>;

/**
 * Limits every request meets whatever its model says, checked before any handler runs: no string longer
 * than maxStringLength characters, no list longer than maxArrayItems. Handlers apply the documented,
 * tighter limits of each parameter (100 instance ids, 21 data disks, 16 KiB of UserData, …).
 */
export interface RequestBounds {
  maxStringLength: number;
  maxArrayItems: number;
}

/** Far above every documented limit (UserData, the longest string, is 16 KiB once decoded). */
export const REQUEST_BOUNDS: RequestBounds = { maxStringLength: 64 * 1024, maxArrayItems: 1000 };

function fieldSchema(field: FieldModel, bounds: RequestBounds | undefined): JsonSchema {
  let schema: JsonSchema = isScalar(field.type)
    ? field.type === "any"
      ? {}
      : field.type === "string" && bounds
        ? { type: "string", maxLength: bounds.maxStringLength }
        : { type: field.type }
    : { $ref: `#/$defs/${field.type}` };
  for (let i = 0; i < (field.array ?? 0); i++) {
    schema = bounds ? { type: "array", maxItems: bounds.maxArrayItems, items: schema } : { type: "array", items: schema };
  }
  return schema;
}

/** The model as JSON schemas, one per structure; with `bounds`, strings and lists are bounded too. */
export function modelToJsonSchema(model: ApiModel, bounds?: RequestBounds): JsonSchema {
  const defs: Record<string, JsonSchema> = {};
  for (const [name, struct] of Object.entries(model.types)) {
    const required = Object.entries(struct)
      .filter(([, f]) => f.required)
      .map(([k]) => k);
    defs[name] = {
      type: "object",
      properties: Object.fromEntries(Object.entries(struct).map(([k, f]) => [k, fieldSchema(f, bounds)])),
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

/** The value at a dotted path of the request. */
function valueAt(data: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((v, k) => (k === "" ? v : (v as Record<string, unknown>)?.[k]), data);
}

export function toApiError(error: ErrorObject, data: unknown): ApiError {
  switch (error.keyword) {
    case "required": {
      const path = pathOf(error.instancePath, (error.params as { missingProperty: string }).missingProperty);
      return apiError("MissingParameter", missingParameterText(path));
    }
    case "additionalProperties": {
      const path = pathOf(error.instancePath, (error.params as { additionalProperty: string }).additionalProperty);
      return apiError("UnknownParameter", {
        en: `The parameter \`${path}\` is not recognized.`,
        zh: `参数\`${path}\`未定义，请检查参数名称是否正确。`,
      });
    }
    case "maxLength": {
      const path = pathOf(error.instancePath);
      const limit = (error.params as { limit: number }).limit;
      return apiError("InvalidParameterValue", {
        en: `The parameter \`${path}\` is longer than the limit of ${limit} characters.`,
        zh: `参数\`${path}\`长度超过 ${limit} 个字符的限制。`,
      });
    }
    case "maxItems": {
      const path = pathOf(error.instancePath);
      const limit = (error.params as { limit: number }).limit;
      const list = valueAt(data, path);
      return apiError("InvalidParameterValue", atMostText(path, limit, Array.isArray(list) ? list.length : undefined, ITEMS));
    }
    default: {
      const path = pathOf(error.instancePath);
      const value = valueAt(data, path);
      const expected = error.keyword === "type" ? String((error.params as { type: string }).type) : error.message;
      const name = path === "" ? "request" : `parameter \`${path}\``;
      return apiError("InvalidParameter", {
        en: `The ${name} must be of type ${expected}, but ${describe(value)} was given.`,
        zh: `${path === "" ? "请求" : `参数\`${path}\``}类型错误，应为 ${expected} 类型，实际传入 ${describe(value)} 类型。`,
      });
    }
  }
}

export class ModelValidator {
  private readonly ajv = new Ajv({ allErrors: false, strict: false });
  private readonly cache = new Map<string, ValidateFunction>();
  private readonly schemaId: string;

  constructor(
    private readonly model: ApiModel,
    bounds: RequestBounds = REQUEST_BOUNDS,
  ) {
    const schema = modelToJsonSchema(model, bounds);
    this.schemaId = schema.$id as string;
    this.ajv.addSchema(schema);
  }

  /** Throws the first validation failure as its API error. */
  validate(action: string, params: unknown): void {
    let check = this.cache.get(action);
    if (!check) {
      const act = own(this.model.actions, action);
      if (!act) throw new Error(`action ${action} is not in the ${this.schemaId} model`);
      check = this.ajv.getSchema(`${this.schemaId}#/$defs/${act.request}`);
      if (!check) throw new Error(`no schema for ${act.request}`);
      this.cache.set(action, check);
    }
    if (!check(params)) throw toApiError(check.errors![0]!, params);
  }
}
