// The ApiError a synchronous call throws, for unit tests of the protocol layer (validation, parameters).
import { ApiError } from "../../src/protocol/errors.js";

/** Runs `run` and returns the ApiError it throws; any other error is rethrown, and returning is a failure. */
export function apiErrorOf(run: () => unknown, what = "the call"): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error(`${what} was expected to throw an ApiError, but it returned`);
}
