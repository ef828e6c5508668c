// Flattened parameters (GET query strings and v1 form bodies): `Filters.0.Values.1=x` ⇄ nested values.
// Every flattened value arrives as a string; the action's model says which leaves are numbers or booleans.
import { apiError } from "./errors.js";
import { isScalar, type ApiModel, type FieldModel, type StructModel } from "./model.js";

export type ParamValue = string | number | boolean | ParamValue[] | { [key: string]: ParamValue };

/** Flattens a nested request the way the official SDKs do: arrays index from 0, nulls and empty arrays vanish. */
export function flatten(value: unknown, prefix = "", out: Array<[string, string]> = []): Array<[string, string]> {
  if (value === null || value === undefined) return out;
  if (Array.isArray(value)) {
    value.forEach((item, i) => flatten(item, prefix ? `${prefix}.${i}` : String(i), out));
  } else if (typeof value === "object") {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.push([prefix, String(value)]);
  }
  return out;
}

type Node = string | Map<string, Node>;

const INDEX_RE = /^(0|[1-9]\d{0,8})$/;

/** How many `.`-separated segments a flattened parameter name may have; the deepest API path has far fewer. */
export const MAX_NAME_DEPTH = 32;

/** Builds the untyped tree: objects whose keys are all indexes become arrays, in index order. */
function toValue(node: Node): ParamValue {
  if (typeof node === "string") return node;
  const keys = [...node.keys()];
  if (keys.length > 0 && keys.every((k) => INDEX_RE.test(k))) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((i) => toValue(node.get(String(i))!));
  }
  return Object.fromEntries(keys.map((k) => [k, toValue(node.get(k)!)]));
}

/** Un-flattens `key=value` pairs into a tree of strings. A later duplicate key wins. */
export function unflattenRaw(pairs: ReadonlyArray<[string, string]>): Record<string, ParamValue> {
  const root = new Map<string, Node>();
  for (const [key, value] of pairs) {
    const segments = key.split(".");
    if (segments.some((s) => s === "")) {
      throw apiError("InvalidParameter", {
        en: `The parameter name \`${key.slice(0, 128)}\` is malformed: it must be names and indexes joined by single dots, none of them empty.`,
        zh: `参数名\`${key.slice(0, 128)}\`格式错误，应为以单个 . 连接的名称和下标，且各段均不能为空。`,
      });
    }
    // The tree is built and typed recursively: a name nested thousands deep would overflow the stack.
    if (segments.length > MAX_NAME_DEPTH) {
      throw apiError("InvalidParameter", {
        en: `The parameter name \`${key.slice(0, 128)}\` is nested ${segments.length} levels deep; at most ${MAX_NAME_DEPTH} are allowed.`,
        zh: `参数名\`${key.slice(0, 128)}\`嵌套了 ${segments.length} 层，最多允许 ${MAX_NAME_DEPTH} 层。`,
      });
    }
    let node = root;
    for (let i = 0; i < segments.length - 1; i++) {
      const next = node.get(segments[i]!);
      if (typeof next === "string") throw conflict(key);
      if (next) node = next;
      else {
        const created = new Map<string, Node>();
        node.set(segments[i]!, created);
        node = created;
      }
    }
    const last = segments[segments.length - 1]!;
    if (node.get(last) instanceof Map) throw conflict(key);
    node.set(last, value);
  }
  return toValue(root) as Record<string, ParamValue>;
}

function conflict(key: string) {
  return apiError("InvalidParameter", {
    en: `The parameter \`${key.slice(0, 128)}\` is given both as a value and as a structure; it must be one or the other.`,
    zh: `参数\`${key.slice(0, 128)}\`同时以取值和结构体的形式传入，只能是其中一种。`,
  });
}

function coerceScalar(value: ParamValue, type: string): ParamValue {
  if (typeof value !== "string") return value;
  // Decimal, with the exponent that String(), Python's str() and Go's %g write for large and tiny numbers.
  if (type === "number" && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value)) return Number(value);
  if (type === "boolean" && /^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
  return value;
}

function coerceField(model: ApiModel, value: ParamValue, field: FieldModel, depth: number): ParamValue {
  if (depth > 0) return Array.isArray(value) ? value.map((v) => coerceField(model, v, field, depth - 1)) : value;
  if (isScalar(field.type)) return coerceScalar(value, field.type);
  const struct = model.types[field.type];
  return struct ? coerceStruct(model, value, struct) : value;
}

function coerceStruct(model: ApiModel, value: ParamValue, struct: StructModel): ParamValue {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  // Own fields only, and fromEntries rather than assignment: a parameter named `__proto__` or `constructor`
  // must stay a plain key for validation to reject, not reach Object.prototype.
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => {
      const field = Object.hasOwn(struct, k) ? struct[k] : undefined;
      return [k, field ? coerceField(model, v, field, field.array ?? 0) : v];
    }),
  );
}

/** Un-flattens and types the leaves by the model. Unknown names are kept, for validation to reject. */
export function unflatten(model: ApiModel, typeName: string, pairs: ReadonlyArray<[string, string]>): Record<string, ParamValue> {
  const raw = unflattenRaw(pairs);
  const struct = model.types[typeName];
  return struct ? (coerceStruct(model, raw, struct) as Record<string, ParamValue>) : raw;
}
