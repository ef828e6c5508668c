// Instance actions: the thin mapping from API parameters onto the instance rules and repository.
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import type { TypedHandler } from "../../../gateway/product.js";
import { checkInstanceIds } from "../ids.js";
import { readPage } from "../paging.js";
import { InstanceRepository } from "./repository.js";

export const describeInstancesStatus: TypedHandler<M.DescribeInstancesStatusRequest, M.DescribeInstancesStatusResponse> = (ctx, req) => {
  if (req.InstanceIds) checkInstanceIds(req.InstanceIds, "InstanceIds");
  const page = readPage(req);
  const { total, rows } = new InstanceRepository(ctx.store.db).listStatuses(ctx.account.uin, ctx.region, req.InstanceIds, page);
  return {
    TotalCount: total,
    InstanceStatusSet: rows.map((r) => ({ InstanceId: r.instanceId, InstanceState: r.state })),
  };
};
