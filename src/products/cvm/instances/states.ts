// The instance lifecycle rules: which states an operation accepts, and the refusal for every other state.
import { apiError, type ApiError } from "../../../protocol/errors.js";

export type InstanceState =
  | "PENDING"
  | "LAUNCH_FAILED"
  | "RUNNING"
  | "STOPPED"
  | "STARTING"
  | "STOPPING"
  | "REBOOTING"
  | "SHUTDOWN"
  | "TERMINATING";

export const INSTANCE_STATES: readonly InstanceState[] = [
  "PENDING", "LAUNCH_FAILED", "RUNNING", "STOPPED", "STARTING", "STOPPING", "REBOOTING", "SHUTDOWN", "TERMINATING",
];

/** The pseudo-state of a transition that removes the instance. */
export const DELETED = "DELETED";

/** UnsupportedOperation.InstanceState<CamelCase>, e.g. LAUNCH_FAILED → InstanceStateLaunchFailed. */
export function stateRefusal(instanceId: string, state: string, action: string, parameter = "InstanceIds"): ApiError {
  const camel = state
    .toLowerCase()
    .split("_")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
  return apiError(`UnsupportedOperation.InstanceState${camel}`, {
    en: `The instance \`${instanceId}\` in \`${parameter}\` is ${state}; ${action} cannot be performed in this state.`,
    zh: `参数\`${parameter}\`中的实例\`${instanceId}\`当前状态为 ${state}，该状态下不支持 ${action} 操作。`,
  });
}

export interface OperationSubject {
  instanceId: string;
  state: string;
  latestOperationState: string | null;
  latestOperation: string | null;
}

/**
 * Refuses an operation the instance's state does not allow. A stable state with an operation still under
 * way (ResetInstance, ModifyInstancesAttribute, …) is refused with OperationDenied.InstanceOperationInProgress,
 * which clients such as Terraform retry; a transitional state gets its own state code.
 */
export function ensureAllowed(instance: OperationSubject, allowed: readonly InstanceState[], action: string, parameter = "InstanceIds"): void {
  if (instance.latestOperationState === "OPERATING" && allowed.includes(instance.state as InstanceState)) {
    throw apiError("OperationDenied.InstanceOperationInProgress", {
      en: `The instance \`${instance.instanceId}\` in \`${parameter}\` is still running ${instance.latestOperation ?? "an operation"}; try ${action} again when it has finished.`,
      zh: `参数\`${parameter}\`中的实例\`${instance.instanceId}\`正在执行 ${instance.latestOperation ?? "其他操作"}，请在该操作完成后重试 ${action}。`,
    });
  }
  if (!allowed.includes(instance.state as InstanceState)) throw stateRefusal(instance.instanceId, instance.state, action, parameter);
}
