// Every instance action starts here: the account's instances in the request's region, with every
// transition that is due applied.
import type { ActionContext } from "../../../gateway/product.js";
import { apiError } from "../../../protocol/errors.js";
import { checkInstanceIds } from "../ids.js";
import { instancesNotFound, noInstanceNamed } from "./messages.js";
import { InstanceRepository, type InstanceRecord } from "./repository.js";

export async function openInstances(ctx: ActionContext): Promise<InstanceRepository> {
  const repo = new InstanceRepository(ctx.sql, ctx.account.uin, ctx.region);
  await repo.settle(ctx.clock.now());
  return repo;
}

/**
 * The instances an operation names: ids well formed, at most `max`, each existing in this account and
 * region (another account's instance is simply not found). Duplicates count once.
 */
export async function loadInstances(repo: InstanceRepository, ids: readonly string[], parameter = "InstanceIds", max = 100): Promise<InstanceRecord[]> {
  if (ids.length === 0) {
    throw apiError("MissingParameter", noInstanceNamed(parameter));
  }
  checkInstanceIds(ids, parameter, max);
  const unique = [...new Set(ids)];
  const found = await repo.findMany(unique);
  const missing = unique.filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw apiError("InvalidInstanceId.NotFound", instancesNotFound(missing, parameter));
  }
  return unique.map((id) => found.get(id)!);
}
