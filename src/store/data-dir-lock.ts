// One data dir, one owner. Two tclocal processes on one SQLite data dir each keep their own resource clock,
// and the second one's key pair re-keys the default SecretId for both; so a server takes this lock on its data
// dir before it opens the database, and a second process refuses to start.
//
// The lock is a file, LOCK_FILE, created exclusively (O_EXCL) and holding its owner as JSON: pid, host name,
// start time, and an identity of the process (procStart) and of the file (nonce). It is removed when the owner
// closes its store, and on any exit that runs 'exit' listeners (a normal exit, process.exit, an uncaught error).
// A SIGKILLed owner leaves it behind, and the next process takes it over when the owner is gone:
//
// - Same host name, and `process.kill(pid, 0)` fails with ESRCH (no such process), or /proc says the pid is a
//   zombie: gone.
// - Same host name and the pid is alive: alive, unless the pid now belongs to another process. On Linux the
//   owner recorded procStart, the boot id and the start time of the process in clock ticks since boot
//   (/proc/sys/kernel/random/boot_id, field 22 of /proc/<pid>/stat); a live pid whose procStart differs is a
//   reused pid (after a reboot, or a container restart where tclocal is pid 1 again), so the owner is gone.
//   Where /proc is missing (macOS) a live pid counts as the owner.
// - Another host name: alive. Its pid means nothing here (a data dir on a shared file system, or in a volume
//   that another container with another host name used), so the refusal says which file to delete if that
//   process is gone.
//
// Taking a stale lock over must let exactly one of several restarting processes win: "remove the file, then
// create it exclusively" does not (A removes and creates its own; B, which read the stale one too, then
// removes A's). So the file of a gone owner is removed only by the process that holds a claim on that very
// file, `<lock>.takeover-<nonce of the stale file>`, itself taken the same way (exclusive create, owner
// gone → taken over). A lock file's nonce is never reused, so once the stale file is gone a later claim on it
// finds a different file and removes nothing.
//
// Within one process the lock is shared: several stores may open one data dir (tests run two servers on one
// data dir in one process), and the file is removed when the last of them closes. Another process, or
// another worker thread of this one, is refused.
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

export const LOCK_FILE = "tclocal.lock";
const TAKEOVER_INFIX = ".takeover-";

/** Whether a file name in a data dir is the lock or one of its takeover claims. */
export function isLockFileName(name: string): boolean {
  return name === LOCK_FILE || name.startsWith(LOCK_FILE + TAKEOVER_INFIX);
}

/** What a lock file holds. */
export interface LockOwner {
  pid: number;
  host: string;
  /** When the owning process started (ISO 8601). */
  startedAt: string;
  /** "<boot id>:<start time in clock ticks since boot>" of the owning process, where /proc has it. */
  procStart?: string;
  /** Unique to this lock file. */
  nonce: string;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly lockFile: string,
    readonly owner: LockOwner,
  ) {
    const here = owner.host === hostname();
    super(
      `the data dir ${dataDir} is in use by another tclocal: pid ${owner.pid} on host ${owner.host}, started ${owner.startedAt}. ` +
        `Stop that one, or give this one another --data-dir (or --in-memory). ` +
        (here
          ? `(If pid ${owner.pid} is not a tclocal, delete ${lockFile}.)`
          : `(tclocal cannot see processes on ${owner.host}: if no tclocal runs there on this data dir, delete ${lockFile}.)`),
    );
    this.name = "DataDirLockedError";
  }
}

export interface DataDirLock {
  readonly file: string;
  readonly owner: LockOwner;
  /** Gives up this hold on the lock; the file goes when the last hold in this process is released. Idempotent. */
  release(): void;
}

// ---------------------------------------------------------------------------------------------------
// Processes

/** "<boot id>:<start time>" of a process, from /proc (Linux), or undefined. */
export function processStart(pid: number): string | undefined {
  const stat = procStat(pid);
  if (stat === undefined) return undefined;
  let boot = "";
  try {
    boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    // No boot id: the start time alone.
  }
  return `${boot}:${stat.startTime}`;
}

/** State and start time (field 3 and 22) of /proc/<pid>/stat; the command name (field 2) may hold spaces and parentheses. */
function procStat(pid: number): { state: string; startTime: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const state = fields[0];
  const startTime = fields[19];
  return state === undefined || startTime === undefined ? undefined : { state, startTime };
}

/** Whether the owner recorded in a lock may still be running. */
export function ownerIsAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // EPERM: the process exists, it belongs to another user.
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  const stat = procStat(owner.pid);
  if (stat?.state === "Z" || stat?.state === "X") return false;
  if (owner.procStart !== undefined) {
    const now = processStart(owner.pid);
    if (now !== undefined && now !== owner.procStart) return false;
  }
  return true;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// ---------------------------------------------------------------------------------------------------
// Lock files

/** A lock file as read: its owner if it parses, and an identity that changes whenever the file is replaced. */
interface Seen {
  owner: LockOwner | undefined;
  id: string;
}

function parseOwner(text: string): LockOwner | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const o = value as Record<string, unknown>;
  if (typeof o.pid !== "number" || !Number.isSafeInteger(o.pid) || o.pid <= 0) return undefined;
  if (typeof o.host !== "string" || typeof o.startedAt !== "string") return undefined;
  if (typeof o.nonce !== "string" || !/^[0-9a-f]{8,64}$/.test(o.nonce)) return undefined;
  if (o.procStart !== undefined && typeof o.procStart !== "string") return undefined;
  return { pid: o.pid, host: o.host, startedAt: o.startedAt, nonce: o.nonce, ...(o.procStart !== undefined ? { procStart: o.procStart } : {}) };
}

/**
 * The lock file at path, or undefined when there is none. The owner writes its file right after creating it,
 * in the same call; a file that does not parse is read again for a moment, then counted as an owner's that
 * died between the two (or as damaged): no owner.
 */
function readLock(path: string): Seen | undefined {
  for (let attempt = 0; ; attempt++) {
    let text: string;
    let ino: number;
    let size: number;
    let mtimeMs: number;
    try {
      text = readFileSync(path, "utf8");
      ({ ino, size, mtimeMs } = statSync(path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    const owner = parseOwner(text);
    if (owner !== undefined) return { owner, id: owner.nonce };
    if (attempt >= 10) return { owner: undefined, id: `u${ino}-${size}-${Math.floor(mtimeMs)}` };
    sleep(20);
  }
}

/** Creates path exclusively with the owner in it; false if it exists. */
function createExclusive(path: string, owner: LockOwner): boolean {
  try {
    writeFileSync(path, JSON.stringify(owner) + "\n", { flag: "wx", mode: 0o600 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

const MAX_CLAIM_DEPTH = 3;
const MAX_ATTEMPTS = 200;

/**
 * Creates path for `me`, taking it over from a gone owner (see the top of this file). Returns the live
 * holder when there is one. The file of a gone owner is removed only under a claim on it, so that two
 * processes that found it stale cannot both replace it.
 */
function claim(path: string, me: LockOwner, depth: number): { acquired: true } | { acquired: false; holder: LockOwner } {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (createExclusive(path, me)) return { acquired: true };
    const seen = readLock(path);
    if (seen === undefined) continue; // removed meanwhile: create it again
    if (seen.owner !== undefined && ownerIsAlive(seen.owner)) return { acquired: false, holder: seen.owner };
    if (depth >= MAX_CLAIM_DEPTH) break;
    const takeover = `${path}${TAKEOVER_INFIX}${seen.id}`;
    if (!claim(takeover, me, depth + 1).acquired) {
      // Another process is replacing the stale file right now: look again in a moment.
      sleep(10);
      continue;
    }
    try {
      if (readLock(path)?.id === seen.id) rmSync(path, { force: true });
    } finally {
      rmSync(takeover, { force: true });
    }
  }
  throw new Error(`tclocal could not take the lock ${path}: it kept changing hands, or its takeover claims are stuck. If no tclocal runs on this data dir, delete ${path} and the ${LOCK_FILE}${TAKEOVER_INFIX}* files next to it.`);
}

// ---------------------------------------------------------------------------------------------------
// Holds in this process

interface Held {
  file: string;
  owner: LockOwner;
  holds: number;
}

/** The locks this process (this module instance) holds, by the data dir's real path. */
const held = new Map<string, Held>();

/** Removes the lock file if it is still this owner's. */
function removeLockFile(lock: Held): void {
  try {
    const seen = readLock(lock.file);
    if (seen?.id === lock.owner.nonce) rmSync(lock.file, { force: true });
  } catch {
    // Gone already, or the data dir is: nothing to release.
  }
}

const releaseAllOnExit = (): void => {
  for (const lock of held.values()) removeLockFile(lock);
  held.clear();
};

function processStartedAt(): string {
  return new Date(Math.round(Date.now() - process.uptime() * 1000)).toISOString();
}

/**
 * Takes the lock on a data dir (created 0700 if missing) for this process, or throws DataDirLockedError
 * naming the process that holds it.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = realpathSync(dataDir);
  let lock = held.get(key);
  if (lock === undefined) {
    const file = join(key, LOCK_FILE);
    const procStart = processStart(process.pid);
    const owner: LockOwner = {
      pid: process.pid,
      host: hostname(),
      startedAt: processStartedAt(),
      ...(procStart !== undefined ? { procStart } : {}),
      nonce: randomBytes(12).toString("hex"),
    };
    const result = claim(file, owner, 0);
    if (!result.acquired) throw new DataDirLockedError(dataDir, file, result.holder);
    // Claims left by processes killed in the middle of a takeover: their stale files are gone now.
    for (const name of readdirSync(key)) if (name.startsWith(LOCK_FILE + TAKEOVER_INFIX)) rmSync(join(key, name), { force: true });
    lock = { file, owner, holds: 0 };
    if (held.size === 0) process.on("exit", releaseAllOnExit);
    held.set(key, lock);
  }
  lock.holds++;
  const taken = lock;
  let released = false;
  return {
    file: taken.file,
    owner: taken.owner,
    release: () => {
      if (released) return;
      released = true;
      if (--taken.holds > 0 || held.get(key) !== taken) return;
      held.delete(key);
      if (held.size === 0) process.removeListener("exit", releaseAllOnExit);
      removeLockFile(taken);
    },
  };
}
