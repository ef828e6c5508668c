// Offset/Limit as every CVM list API documents them: Offset ≥ 0 (default 0), Limit 1..100 (default 20).
import { apiError } from "../../protocol/errors.js";
import type { Page } from "../../store/listing.js";

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

export type { Page };

export function readPage(req: { Offset?: number; Limit?: number }): Page {
  const offset = req.Offset ?? 0;
  const limit = req.Limit ?? DEFAULT_LIMIT;
  // Safe integers only: 1e23 is an integer to JavaScript, but SQLite refuses it as an OFFSET (an InternalError).
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw apiError("InvalidParameterValue", {
      en: `The parameter \`Offset\` must be an integer of at least 0, but ${offset} was given.`,
      zh: `参数\`Offset\`取值错误，应为大于等于 0 的整数，实际传入 ${offset}。`,
    });
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw apiError("InvalidParameterValue", {
      en: `The parameter \`Limit\` must be an integer from 1 to ${MAX_LIMIT}, but ${limit} was given.`,
      zh: `参数\`Limit\`取值错误，应为 1 到 ${MAX_LIMIT} 之间的整数，实际传入 ${limit}。`,
    });
  }
  return { offset, limit };
}
