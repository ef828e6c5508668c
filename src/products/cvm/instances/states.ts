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
export function stateRefusal(instanceId: string, state: string, action: string): ApiError {
  const camel = state
    .toLowerCase()
    .split("_")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
  return apiError(`UnsupportedOperation.InstanceState${camel}`, {
    en: `The instance \`${instanceId}\` is ${state}; ${action} cannot be performed in this state.`,
    zh: `实例\`${instanceId}\`当前状态为${state}，不支持${action}操作。`,
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
export function ensureAllowed(instance: OperationSubject, allowed: readonly InstanceState[], action: string): void {
  if (instance.latestOperationState === "OPERATING" && allowed.includes(instance.state as InstanceState)) {
    throw apiError("OperationDenied.InstanceOperationInProgress", {
      en: `The instance \`${instance.instanceId}\` is still running ${instance.latestOperation ?? "an operation"}; try ${action} again when it has finished.`,
      zh: `实例\`${instance.instanceId}\`正在执行${instance.latestOperation ?? "其他操作"}，请稍后再试。`,
    });
  }
  if (!allowed.includes(instance.state as InstanceState)) throw stateRefusal(instance.instanceId, instance.state, action);
}
