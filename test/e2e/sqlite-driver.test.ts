// Where the SQLite driver cannot be installed: the install check (npm's postinstall) fails the install and
// says why, and start-up names the cause and the fix, also with --in-memory. The driver's absence is made
// by a preload that refuses to resolve it, as on a machine where npm could neither download nor build it.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { driverFailure, SQLITE_DRIVER } from "../../src/store/sqlite.js";
import { ROOT } from "../crash/harness.js";

const WITHOUT_DRIVER = join(ROOT, "test/fixtures/without-sqlite-driver.cjs");
const CHECK = join(ROOT, "scripts/check-sqlite-driver.mjs");
const dataDir = mkdtempSync(join(tmpdir(), "tclocal-no-driver-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function run(args: string[]) {
  return spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", timeout: 30_000, env: { ...process.env, NODE_OPTIONS: "" } });
}

describe("the SQLite driver", () => {
  it("the install check passes silently where the driver loads", () => {
    const result = run([CHECK]);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("");
  });

  it("the install check fails the install and names the driver, the cause and the fix when it cannot be loaded", () => {
    const result = run(["--require", WITHOUT_DRIVER, CHECK]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`the SQLite driver it needs on Node ${process.version}`);
    expect(result.stderr).toContain(SQLITE_DRIVER === "better-sqlite3" ? "better-sqlite3 12" : "better-sqlite3 13 (installed as better-sqlite3-napi)");
    expect(result.stderr).toContain("Cause: npm could not install it");
    expect(result.stderr).toContain("python3, make and a C++ compiler");
    expect(result.stderr).toContain("apt-get install -y python3 make g++");
    expect(result.stderr).toContain("then run npm install again in this project.");
  });

  it.each([[["--in-memory"]], [["--data-dir", dataDir]]])("start-up with %j names the cause and the fix, and exits 1", (flags) => {
    const result = run(["--require", WITHOUT_DRIVER, "--import", "tsx", join(ROOT, "src/cli.ts"), "--port", "0", ...flags]);
    expect(result.status).toBe(1);
    expect(result.stdout).not.toContain("ready");
    const lines = result.stderr.trim().split("\n");
    expect(lines[0]).toBe(`tclocal: ${SQLITE_DRIVER}, the SQLite driver for Node ${process.version}, is not installed. tclocal keeps its data in SQLite through it, also with --in-memory.`);
    expect(lines[1]).toMatch(/^Cause: npm could neither download a prebuilt binary of this native addon nor compile it/);
    expect(lines[2]).toBe("Fix: install a C++ toolchain (Debian/Ubuntu: apt-get install -y python3 make g++; macOS: xcode-select --install), then run npm install again in the project tclocal is installed in.");
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("a driver that is installed but does not load gets npm rebuild as the fix", () => {
    const error = Object.assign(new Error("Could not locate the bindings file. Tried:\n → /x/build/better_sqlite3.node"), { code: undefined });
    const text = driverFailure("better-sqlite3", error);
    expect(text).toContain("better-sqlite3, the SQLite driver for Node");
    expect(text).toContain("does not load: Could not locate the bindings file. Tried:.");
    expect(text).not.toContain("→");
    expect(text).toContain("Cause: its native part was not built for this Node");
    expect(text).toContain("then run `npm rebuild better-sqlite3` in the project tclocal is installed in.");
  });
});
