// The one way every /_tclocal/ admin endpoint reads its body: a JSON object (or nothing), whose fields are
// each declared with a rule. An undeclared field is UnknownParameter, a value of the wrong type
// InvalidParameter, a value of the right type outside its range InvalidParameterValue; each message names
// the field and the value and says what is expected, as the API's messages do.
import { apiError, type LocalizedText } from "./protocol/errors.js";
import { own } from "./protocol/own.js";

/** The largest admin body read (handleAdmin refuses larger ones first): the fields are a few short values, and the body is parsed whole. */
export const ADMIN_BODY_LIMIT = 64 * 1024;

/** How one body field is checked. */
export interface FieldRule<T> {
  /** What a value of the right type is, e.g. "true or false" (for InvalidParameter). */
  expected: LocalizedText;
  /** The value as T, or undefined when it is not of the expected type or form. */
  read(value: unknown): T | undefined;
  /** The values of the type that are allowed, when not all are (for InvalidParameterValue). */
  range?: { text: LocalizedText; contains(value: T): boolean };
}

// A rule's `read` and `contains` are methods, so that a FieldRule<boolean> is a FieldRule<unknown> here.
export type FieldRules = Readonly<Record<string, FieldRule<unknown>>>;

/** The fields a body held, each read as its rule's type; a field the body did not hold is absent. */
export type FieldValues<R extends FieldRules> = { [K in keyof R]?: R[K] extends FieldRule<infer T> ? T : never };

/** A value from the wire, as a message shows it: JSON (numbers as written by JavaScript), cut to 64 characters. */
export function shownValue(value: unknown): string {
  const text = typeof value === "number" ? String(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}

function jsonKind(value: unknown): LocalizedText {
  if (Array.isArray(value)) return { en: "an array", zh: "数组" };
  if (value === null) return { en: "null", zh: "null" };
  return { en: `a ${typeof value}`, zh: typeof value === "string" ? "字符串" : typeof value === "number" ? "数字" : "布尔值" };
}

function fieldList(rules: FieldRules): LocalizedText {
  const names = Object.keys(rules);
  return names.length === 0
    ? { en: "it takes no fields", zh: "该接口不接受任何字段" }
    : { en: `its fields are ${names.join(", ")}`, zh: `可用字段为 ${names.join("、")}` };
}

/**
 * Reads an admin body against `rules`: refuses a body that is not a JSON object (empty is `{}`), any field
 * the rules do not declare, and any declared field whose value is of the wrong type or out of range.
 * `endpoint` (e.g. "POST /_tclocal/clock") is named in the messages. The body is at most ADMIN_BODY_LIMIT bytes.
 */
export function readFields<R extends FieldRules>(body: Buffer, endpoint: string, rules: R): FieldValues<R> {
  const text = body.toString("utf8").trim();
  let input: unknown = {};
  if (text !== "") {
    try {
      input = JSON.parse(text);
    } catch {
      throw apiError("InvalidParameter", {
        en: `The body of ${endpoint} must be a JSON object (or empty), not text that does not parse as JSON: ${shownValue(text)}.`,
        zh: `${endpoint} 的请求 body 必须是 JSON 对象（或为空），而不是无法解析为 JSON 的文本：${shownValue(text)}。`,
      });
    }
  }
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    const kind = jsonKind(input);
    throw apiError("InvalidParameter", {
      en: `The body of ${endpoint} must be a JSON object (or empty), not ${kind.en}: ${shownValue(input)}.`,
      zh: `${endpoint} 的请求 body 必须是 JSON 对象（或为空），而不是${kind.zh}：${shownValue(input)}。`,
    });
  }
  const fields = input as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (own(rules, name) === undefined) {
      const allowed = fieldList(rules);
      throw apiError("UnknownParameter", {
        en: `The field ${shownValue(name)} is unknown to ${endpoint}: ${allowed.en}.`,
        zh: `${endpoint} 不接受字段 ${shownValue(name)}：${allowed.zh}。`,
      });
    }
  }
  const values: Record<string, unknown> = {};
  for (const [name, rule] of Object.entries(rules)) {
    if (!Object.hasOwn(fields, name)) continue;
    const raw = fields[name];
    const value = rule.read(raw);
    if (value === undefined) {
      throw apiError("InvalidParameter", {
        en: `The field ${name} of ${endpoint} must be ${rule.expected.en}, not ${shownValue(raw)}.`,
        zh: `${endpoint} 的字段 ${name} 必须是${rule.expected.zh}，而不是 ${shownValue(raw)}。`,
      });
    }
    if (rule.range !== undefined && !rule.range.contains(value)) {
      throw apiError("InvalidParameterValue", {
        en: `The field ${name} of ${endpoint} is ${shownValue(raw)}, outside its range: ${rule.range.text.en}.`,
        zh: `${endpoint} 的字段 ${name} 的值 ${shownValue(raw)} 超出范围：${rule.range.text.zh}。`,
      });
    }
    values[name] = value;
  }
  return values as FieldValues<R>;
}

export const booleanField: FieldRule<boolean> = {
  expected: { en: "true or false", zh: "布尔值（true 或 false）" },
  read: (value) => (typeof value === "boolean" ? value : undefined),
};

/** A JSON number; `range` bounds it. */
export function numberField(expected: LocalizedText, range?: FieldRule<number>["range"]): FieldRule<number> {
  return { expected, read: (value) => (typeof value === "number" ? value : undefined), ...(range ? { range } : {}) };
}

/** A JSON string of `min` to `max` characters (code points), none of them a control character. */
export function textField(min: number, max: number): FieldRule<string> {
  return {
    expected: { en: "a string", zh: "字符串" },
    read: (value) => (typeof value === "string" ? value : undefined),
    range: {
      text: { en: `${min} to ${max} characters, none of them a control character`, zh: `${min} 到 ${max} 个字符，且不含控制字符` },
      // The body is bounded (ADMIN_BODY_LIMIT), so counting the code points of any string in it is cheap.
      contains: (value) => {
        const length = [...value].length;
        return length >= min && length <= max && !/\p{Cc}/u.test(value);
      },
    },
  };
}
