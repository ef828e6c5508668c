// Offset/Limit as every CVM list API documents them: Offset ≥ 0 (default 0), Limit 1..100 (default 20).
import { apiError } from "../../protocol/errors.js";

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

export interface Page {
  offset: number;
  limit: number;
}

export function readPage(req: { Offset?: number; Limit?: number }): Page {
  const offset = req.Offset ?? 0;
  const limit = req.Limit ?? DEFAULT_LIMIT;
  // Safe integers only: 1e23 is an integer to JavaScript, but SQLite refuses it as an OFFSET (an InternalError).
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw apiError("InvalidParameterValue", `The parameter \`Offset\` must be an integer of at least 0, but ${offset} was given.`);
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw apiError("InvalidParameterValue", `The parameter \`Limit\` must be an integer from 1 to ${MAX_LIMIT}, but ${limit} was given.`);
  }
  return { offset, limit };
}
