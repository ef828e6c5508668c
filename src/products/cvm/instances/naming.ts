// Instance name and host name patterns for batch creation: {R:x} counts up from x, {R:x,F:y} pads to
// y digits, {IP} (host names only) is the private IP. Without a pattern, a batch of n > 1 gets the
// suffixes 1..n.
import { apiError } from "../../../protocol/errors.js";

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
    throw apiError("InvalidInstanceName.TooLong", `The parameter \`${parameter}\` is ${name.length} characters long; at most ${max} are allowed.`);
  }
}

/**
 * Host name rules: `.` and `-` neither first, last nor doubled. Windows: 2–15 letters, digits and `-`,
 * not only digits. Others: 2–60 characters in `.`-separated segments of letters, digits and `-`.
 */
export function hostNameProblem(hostName: string, windows: boolean): string | undefined {
  if (/^[.-]|[.-]$|[.-]{2}/.test(hostName)) return "`.` and `-` may not be first, last or next to each other";
  if (windows) {
    if (hostName.length < 2 || hostName.length > 15) return "a Windows host name has 2 to 15 characters";
    if (!/^[A-Za-z0-9-]+$/.test(hostName)) return "a Windows host name has only letters, digits and `-`";
    if (/^\d+$/.test(hostName)) return "a Windows host name may not be only digits";
    return undefined;
  }
  if (hostName.length < 2 || hostName.length > 60) return "a host name has 2 to 60 characters";
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(hostName)) return "a host name has `.`-separated segments of letters, digits and `-`";
  return undefined;
}
