// Resource id formats: `<prefix>-` and 8 lowercase letters or digits.
import { randomBytes } from "node:crypto";
import { apiError } from "../../protocol/errors.js";
import { atMostText, malformedIdText } from "../../protocol/messages.js";

const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/**
 * Random bytes drawn 4 KiB at a time: a draw of 8 bytes per id cost about 35 µs here (a RunInstances took
 * two), and ids are names, not secrets.
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = 0;

export function newResourceId(prefix: string): string {
  if (used + 8 > pool.length) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  let id = `${prefix}-`;
  for (let i = used; i < used + 8; i++) id += ID_ALPHABET[pool[i]! % 36];
  used += 8;
  return id;
}

export const INSTANCE_ID_RE = /^ins-[a-z0-9]{8}$/;

/** Checks a list of instance ids: at most `max`, each well formed. */
export function checkInstanceIds(ids: readonly string[], parameter: string, max = 100): void {
  if (ids.length > max) {
    throw apiError("InvalidParameterValue.LimitExceeded", atMostText(parameter, max, ids.length, { en: "instance ids", zh: "实例 ID", unit: "个" }));
  }
  ids.forEach((id, i) => {
    if (!INSTANCE_ID_RE.test(id)) {
      throw apiError("InvalidInstanceId.Malformed", malformedIdText({ en: "instance id", zh: "实例 ID" }, id, `${parameter}.${i}`, "ins"));
    }
  });
}
