// Error messages that several instance actions raise, in English and Chinese. Each names the parameter,
// the value that is wrong and what is expected; values from the request come in already bounded.
import type { LocalizedText } from "../../../protocol/errors.js";
import { malformedIdText } from "../../../protocol/messages.js";

/** A value outside a fixed list. `value` is bounded by the caller. */
export function notOneOf(parameter: string, allowed: readonly string[], value: string): LocalizedText {
  return {
    en: `The parameter \`${parameter}\` must be one of ${allowed.join(", ")}, but \`${value}\` was given.`,
    zh: `参数\`${parameter}\`的取值\`${value}\`无效，可选值为：${allowed.join("、")}。`,
  };
}

/** An integer parameter outside its range. */
export function notInRange(parameter: string, min: number, max: number, value: number): LocalizedText {
  return {
    en: `The parameter \`${parameter}\` must be an integer from ${min} to ${max}, but ${value} was given.`,
    zh: `参数\`${parameter}\`应为 ${min} 到 ${max} 之间的整数，实际为 ${value}。`,
  };
}

/** A required parameter left out; `why` says when it is required. */
export function missingParameter(parameter: string, why?: LocalizedText): LocalizedText {
  return {
    en: `The request is missing a required parameter \`${parameter}\`${why ? ` (${why.en})` : ""}.`,
    zh: `缺少必需参数\`${parameter}\`${why ? `（${why.zh}）` : ""}。`,
  };
}

/** An id list given empty. */
export function noInstanceNamed(parameter: string): LocalizedText {
  return {
    en: `The parameter \`${parameter}\` must name at least one instance.`,
    zh: `参数\`${parameter}\`至少需要指定一个实例 ID。`,
  };
}

/** A malformed value other than a resource id (malformedIdText): `what` is its kind, `expected` its form. */
export function malformed(what: LocalizedText, value: string, where: string, expected: LocalizedText): LocalizedText {
  return {
    en: `The ${what.en} \`${value}\` in \`${where}\` is malformed: it must be ${expected.en}.`,
    zh: `参数\`${where}\`中的${what.zh}\`${value}\`格式错误，应为${expected.zh}。`,
  };
}

export const IPV4_FORMAT: LocalizedText = { en: "an IPv4 address such as 10.0.0.1", zh: "形如 10.0.0.1 的 IPv4 地址" };

export function malformedIp(value: string, where: string): LocalizedText {
  return malformed({ en: "IP address", zh: "IP 地址" }, value, where, IPV4_FORMAT);
}

export function malformedSecurityGroupId(value: string, where: string): LocalizedText {
  return malformedIdText({ en: "security group id", zh: "安全组 ID" }, value, where, "sg");
}

export function securityGroupNotFound(sgId: string, where: string, region: string): LocalizedText {
  return {
    en: `The security group \`${sgId}\` in \`${where}\` does not exist in region ${region}.`,
    zh: `参数\`${where}\`中的安全组\`${sgId}\`在地域 ${region} 中不存在。`,
  };
}

export function zoneNotInRegion(zone: string, where: string, region: string): LocalizedText {
  return {
    en: `The zone \`${zone}\` in \`${where}\` is not a zone of region ${region}.`,
    zh: `参数\`${where}\`中的可用区\`${zone}\`不属于地域 ${region}，请指定该地域的可用区。`,
  };
}

/** An instance named in `parameter` that has no instance in this account and region. */
export function instancesNotFound(ids: readonly string[], parameter: string): LocalizedText {
  const list = ids.map((id) => `\`${id}\``);
  return {
    en: `The instance ${list.join(", ")} in \`${parameter}\` does not exist.`,
    zh: `参数\`${parameter}\`中的实例${list.join("、")}不存在。`,
  };
}

/** An instance stopped without charging, which `action` (what it would do) cannot change until it starts. */
export function stoppedWithoutCharging(instanceId: string, parameter: string, action: LocalizedText): LocalizedText {
  return {
    en: `The instance \`${instanceId}\` in \`${parameter}\` is stopped without charging (STOP_CHARGING); start it before ${action.en}.`,
    zh: `参数\`${parameter}\`中的实例\`${instanceId}\`处于关机不收费（STOP_CHARGING）状态，请先开机再${action.zh}。`,
  };
}

/** A batch mixing PREPAID with other charge types, which `action` takes only apart. */
export function mixedChargeTypes(parameter: string, prepaidId: string, other: { instanceId: string; chargeType: string }, action: string): LocalizedText {
  return {
    en:
      `The instances in \`${parameter}\` mix charge types (\`${prepaidId}\` is PREPAID, \`${other.instanceId}\` is ${other.chargeType}): ` +
      `${action} takes PREPAID and pay-as-you-go instances in separate requests.`,
    zh:
      `参数\`${parameter}\`中的实例计费类型不一致（\`${prepaidId}\`为 PREPAID，\`${other.instanceId}\`为 ${other.chargeType}）：` +
      `${action} 需要将包年包月实例与按量计费实例分开请求。`,
  };
}
