// Request-rate limiting: one token bucket per (account, action), refilled continuously at the
// action's documented rate, holding at most one second's worth of requests.
import type { Clock } from "../clock.js";

export interface ThrottleOptions {
  enabled: boolean;
  /** Per-action overrides, and "*" for every action without its own. */
  overrides: Record<string, number>;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** Buckets kept outside this process (in a database that several nodes share): takes one token of `key`'s bucket. */
export type SharedBuckets = (key: string, rate: number, now: number) => Promise<boolean>;

export class Throttle {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly options: ThrottleOptions,
    private readonly clock: Clock,
    private readonly shared?: SharedBuckets,
  ) {}

  /** The requests per second allowed for an action, after overrides. */
  limitFor(action: string, documented: number): number {
    return this.options.overrides[action] ?? this.options.overrides["*"] ?? documented;
  }

  /** Takes one token; false when the bucket is empty. */
  take(account: string, service: string, action: string, documented: number): boolean | Promise<boolean> {
    if (!this.options.enabled) return true;
    const rate = this.limitFor(action, documented);
    if (rate <= 0) return false;
    const key = `${account}/${service}/${action}`;
    const now = this.clock.now();
    if (this.shared) return this.shared(key, rate, now);
    const bucket = this.buckets.get(key) ?? { tokens: rate, updatedAt: now };
    bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.updatedAt) / 1000) * rate);
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

/** Parses `DescribeZones=5,*=100` (or `off`) into throttle options. */
export function parseRateLimits(text: string | undefined, enabled: boolean): ThrottleOptions {
  const overrides: Record<string, number> = {};
  if (text !== undefined && text.trim() !== "") {
    if (text.trim() === "off") return { enabled: false, overrides };
    for (const item of text.split(",")) {
      const m = /^\s*([A-Za-z*][A-Za-z0-9]*)\s*=\s*(\d+(?:\.\d+)?)\s*$/.exec(item);
      if (!m) throw new Error(`rate limit \`${item}\` is not of the form Action=N`);
      overrides[m[1]!] = Number(m[2]);
    }
  }
  return { enabled, overrides };
}
