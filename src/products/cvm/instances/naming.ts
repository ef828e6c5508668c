// Instance name and host name patterns for batch creation: {R:x} counts up from x, {R:x,F:y} pads to
// y digits, {IP} (host names only) is the private IP. Without a pattern, a batch of n > 1 gets the
// suffixes 1..n.
import { apiError, type LocalizedText } from "../../../protocol/errors.js";

const PATTERN_RE = /\{R:(\d+)(?:,F:(\d))?\}|\{IP\}/g;

export function hasPattern(text: string): boolean {
  return new RegExp(PATTERN_RE.source).test(text);
}

/** The name of the instance at `index` (0-based) in a batch of `count`. */
export function expandName(text: string, index: number, count: number, privateIp: string | undefined): string {
  if (!hasPattern(text)) return count > 1 ? `${text}${index + 1}` : text;
  return text.replace(new RegExp(PATTERN_RE.source, "g"), (match: string, start?: string, width?: string) => {
    if (match === "{IP}") return privateIp ?? match;
    return String(Number(start) + index).padStart(Number(width ?? 0), "0");
  });
}

const MAX_INSTANCE_NAME = 128;

export function checkInstanceName(name: string, parameter = "InstanceName", max = MAX_INSTANCE_NAME): void {
  if (name.length > max) {
    const start = name.slice(0, 32);
    throw apiError("InvalidInstanceName.TooLong", {
      en: `The parameter \`${parameter}\` (\`${start}…\`) is ${name.length} characters long; at most ${max} are allowed.`,
      zh: `参数\`${parameter}\`（\`${start}…\`）长度为 ${name.length} 个字符，最多允许 ${max} 个字符。`,
    });
  }
}

/**
 * Host name rules: `.` and `-` neither first, last nor doubled. Windows: 2–15 letters, digits and `-`,
 * not only digits. Others: 2–60 characters in `.`-separated segments of letters, digits and `-`.
 */
export function hostNameProblem(hostName: string, windows: boolean): LocalizedText | undefined {
  if (/^[.-]|[.-]$|[.-]{2}/.test(hostName)) {
    return { en: "`.` and `-` may not be first, last or next to each other", zh: "`.`和`-`不能位于首尾，也不能相邻" };
  }
  if (windows) {
    if (hostName.length < 2 || hostName.length > 15) return { en: "a Windows host name has 2 to 15 characters", zh: "Windows 主机名长度应为 2 到 15 个字符" };
    if (!/^[A-Za-z0-9-]+$/.test(hostName)) return { en: "a Windows host name has only letters, digits and `-`", zh: "Windows 主机名只能包含字母、数字和`-`" };
    if (/^\d+$/.test(hostName)) return { en: "a Windows host name may not be only digits", zh: "Windows 主机名不能全为数字" };
    return undefined;
  }
  if (hostName.length < 2 || hostName.length > 60) return { en: "a host name has 2 to 60 characters", zh: "主机名长度应为 2 到 60 个字符" };
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(hostName)) {
    return { en: "a host name has `.`-separated segments of letters, digits and `-`", zh: "主机名应由`.`分隔的若干段组成，每段只能包含字母、数字和`-`" };
  }
  return undefined;
}

/** The refusal of a host name (`hostName` bounded by the caller) for the reason `problem`, on `instanceId` if given. */
export function illegalHostName(hostName: string, parameter: string, problem: LocalizedText, instanceId?: string): LocalizedText {
  return {
    en: `The host name \`${hostName}\` in \`${parameter}\` is not allowed${instanceId ? ` for ${instanceId}` : ""}: ${problem.en}.`,
    zh: `参数\`${parameter}\`中的主机名\`${hostName}\`不合法${instanceId ? `（实例\`${instanceId}\`）` : ""}：${problem.zh}。`,
  };
}
