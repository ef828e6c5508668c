// The well-known development key pair and the generation of new keys.
import { randomBytes } from "node:crypto";
import type { Account } from "../store/accounts.js";

/** Like Azurite's development key: fixed and public, so that examples and CI need no setup. */
export const DEFAULT_SECRET_ID = "AKIDtclocalDefaultDevelopmentKey0000";
export const DEFAULT_SECRET_KEY = "tclocalDefaultDevelopmentSecret0";
export const DEFAULT_ACCOUNT: Account = { uin: "100000000001", appId: 1250000001, name: "default" };

const SECRET_ID_RE = /^AKID[0-9A-Za-z]{16,124}$/;

export function isWellFormedSecretId(secretId: string): boolean {
  return SECRET_ID_RE.test(secretId);
}

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export function randomAlphanumeric(length: number): string {
  const bytes = randomBytes(length * 2);
  let out = "";
  // 248 is the largest multiple of 62 below 256: rejecting larger bytes keeps the letters uniform.
  for (const b of bytes) {
    if (b < 248) out += ALPHANUMERIC[b % 62];
    if (out.length === length) return out;
  }
  return out + randomAlphanumeric(length - out.length);
}

export function newSecretId(): string {
  return "AKID" + randomAlphanumeric(32);
}

export function newSecretKey(): string {
  return randomAlphanumeric(32);
}

export function newToken(): string {
  return randomBytes(48).toString("base64url");
}
