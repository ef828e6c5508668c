// Finished Instance JSON per stored row, kept in memory between DescribeInstances calls. Reading a page's
// stored views out of the database (a buffer made per row) was most of the cost of a page; the page query now
// reads only each row's sequence number, view version and the two settled fields, and takes the bytes from here.
//
// An entry is used only when the row's view version and both settled fields match it. Every write of a
// view gives it a version this process never handed out before (a random base, then a counter), so an entry
// made inside a transaction that was rolled back, or before a reset, never matches a stored row; a version
// written by another process on the same data matches one of ours only by a 1-in-2^47 chance.
import { randomInt } from "node:crypto";

/** What the cache may hold; past it, the oldest entries go. 10,000 instances take about 16 MiB. */
const BUDGET_BYTES = 64 * 1024 * 1024;

let nextVersion = randomInt(2 ** 47);

/** A view version that no write in this process has used, and that another process is unlikely to use. */
export function newViewVersion(): number {
  nextVersion = nextVersion >= Number.MAX_SAFE_INTEGER ? randomInt(2 ** 47) : nextVersion + 1;
  return nextVersion;
}

interface Entry {
  version: number;
  state: string;
  latestOperationState: string | null;
  /** `,` then the finished Instance object: a page is these buffers one after another. */
  json: Buffer;
}

const COMMA = Buffer.from(",");
/** The fields settle() changes in SQL, which the stored view leaves out, keyed by their values. */
const settledSuffixes = new Map<string, Buffer>();

function settledSuffix(state: string, latestOperationState: string | null): Buffer {
  const key = `${state}\u0000${latestOperationState}`;
  let suffix = settledSuffixes.get(key);
  if (!suffix) {
    suffix = Buffer.from(`,"InstanceState":${JSON.stringify(state)},"LatestOperationState":${JSON.stringify(latestOperationState)}}`, "utf8");
    // States are a short list; the bound only guards against a store written by something else.
    if (settledSuffixes.size < 1000) settledSuffixes.set(key, suffix);
  }
  return suffix;
}

export class ViewCache {
  private readonly entries = new Map<number, Entry>();
  private bytes = 0;

  /** The cached `,{…}` of a row, when it was made from this very version and settled state. */
  get(seq: number, version: number, state: string, latestOperationState: string | null): Buffer | undefined {
    const entry = this.entries.get(seq);
    return entry !== undefined && entry.version === version && entry.state === state && entry.latestOperationState === latestOperationState
      ? entry.json
      : undefined;
  }

  /** Finishes a stored view (its closing brace replaced by the settled fields), keeps it and returns it. */
  put(seq: number, version: number, state: string, latestOperationState: string | null, view: Buffer): Buffer {
    const json = Buffer.concat([COMMA, view.subarray(0, view.length - 1), settledSuffix(state, latestOperationState)]);
    this.forget(seq);
    this.entries.set(seq, { version, state, latestOperationState, json });
    this.bytes += json.length;
    if (this.bytes > BUDGET_BYTES) {
      // Oldest first (a Map iterates in insertion order), down to three quarters, so that eviction is rare.
      for (const [oldest] of this.entries) {
        if (this.bytes <= BUDGET_BYTES * 0.75) break;
        this.forget(oldest);
      }
    }
    return json;
  }

  /** Drops a row's entry (the row is gone): only memory, since versions already keep stale entries unused. */
  forget(seq: number): void {
    const entry = this.entries.get(seq);
    if (entry === undefined) return;
    this.bytes -= entry.json.length;
    this.entries.delete(seq);
  }
}

const caches = new WeakMap<object, ViewCache>();

/** The cache of one database's rows. */
export function viewCacheOf(db: object): ViewCache {
  let cache = caches.get(db);
  if (!cache) {
    cache = new ViewCache();
    caches.set(db, cache);
  }
  return cache;
}
