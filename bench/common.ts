// What the load tools (bench/bench.ts, bench/soak.ts) share: signed TC3 requests by the
// official signer, the JSON type of answers, CPU accounting through /proc, percentiles and progress lines.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { REGION, SECRET_ID, SECRET_KEY } from "../test/crash/harness.js";

// ---------------------------------------------------------------------------------------------------
// Signed requests

/** The official SDK's signer (a CommonJS default export), as test/helpers/server.ts loads it. */
type SignClass = (typeof import("tencentcloud-sdk-nodejs-common/tencentcloud/common/sign.js"))["default"];
const Sign = (createRequire(import.meta.url)("tencentcloud-sdk-nodejs-common/tencentcloud/common/sign.js") as { default: SignClass }).default;

/**
 * The headers of a CVM TC3-HMAC-SHA256 POST of `body` (application/json) to host:port, signed now by the
 * official signer with the default development key.
 */
export function signedPostHeaders(host: string, port: number, action: string, body: Buffer): Record<string, string> {
  const timestamp = Math.floor(Date.now() / 1000);
  const contentType = "application/json";
  const authorization = Sign.sign3({
    method: "POST",
    url: `http://${host}:${port}/`,
    payload: body,
    timestamp,
    service: "cvm",
    secretId: SECRET_ID,
    secretKey: SECRET_KEY,
    multipart: false,
    boundary: "",
    headers: { "Content-Type": contentType },
  });
  return {
    "Content-Type": contentType,
    "Content-Length": String(body.length),
    Authorization: authorization,
    "X-TC-Action": action,
    "X-TC-Version": "2017-03-12",
    "X-TC-Timestamp": String(timestamp),
    "X-TC-Region": REGION,
  };
}

// ---------------------------------------------------------------------------------------------------
// Answers

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------
// Measurement

const CLOCK_TICKS = ((): number => {
  try {
    const n = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/** The machine's CPU time so far, in ticks: all of it, and the part stolen by the hypervisor (`/proc/stat`). */
export function machineCpuTicks(): { total: number; steal: number } | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!;
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (ticks.length < 8 || !ticks.every(Number.isFinite)) return undefined;
    return { total: ticks.reduce((a, b) => a + b, 0), steal: ticks[7]! };
  } catch {
    return undefined;
  }
}

/** CPU seconds the process has used (/proc/<pid>/stat; Linux), or undefined when it cannot be read. */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces and is closed by the last ')').
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / CLOCK_TICKS : undefined;
  } catch {
    return undefined;
  }
}

/** Nearest-rank percentile of values sorted in ascending order; NaN when there are none. */
export function percentileOfSorted(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

// ---------------------------------------------------------------------------------------------------
// Output

/** A progress line on stderr (stdout carries the results). */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}
