import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { openSqlite, SQLITE_DRIVER, sqliteDriverFor } from "../../src/store/sqlite.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

describe("the SQLite driver for this Node", () => {
  it("is better-sqlite3 13 (Node-API) from Node-API 10 on, better-sqlite3 12 below", () => {
    expect(sqliteDriverFor(8)).toBe("better-sqlite3");
    expect(sqliteDriverFor(9)).toBe("better-sqlite3");
    expect(sqliteDriverFor(10)).toBe("better-sqlite3-napi");
    expect(sqliteDriverFor(11)).toBe("better-sqlite3-napi");
  });

  it(`is installed in the major that suits Node ${process.version} (Node-API ${process.versions.napi}) and opens a database`, () => {
    const version = (createRequire(import.meta.url)(`${SQLITE_DRIVER}/package.json`) as { version: string }).version;
    expect(version.split(".")[0]).toBe(Number(process.versions.napi) >= 10 ? "13" : "12");
    const db = openSqlite(":memory:");
    try {
      expect(db.prepare("SELECT 40 + 2 AS n").get()).toEqual({ n: 42 });
    } finally {
      db.close();
    }
  });

  // Node 24.19+ with better-sqlite3 12 aborts (SIGABRT) within a second or two of this: the GC finalizes
  // dropped statements outside a JS context. A server drops statements when its statement cache turns over.
  // The 1 MB young generation makes the GC run often enough that it aborts every time (about every other
  // time without it; seen on Node 24.21).
  it("survives tens of thousands of dropped prepared statements while the event loop idles between bursts", () => {
    const script = `
      import { openSqlite } from ${JSON.stringify(pathToFileURL(resolve(ROOT, "src/store/sqlite.ts")).href)};
      const db = openSqlite(":memory:");
      db.exec("CREATE TABLE t (a INTEGER)");
      const until = Date.now() + 2000;
      let n = 0;
      const burst = () => {
        for (let k = 0; k < 2000; k++, n++) db.prepare("SELECT a FROM t WHERE a = " + n).all();
        if (Date.now() < until) setTimeout(burst, 10);
        else { db.close(); console.log("dropped " + n); }
      };
      burst();`;
    const child = spawnSync(process.execPath, ["--max-semi-space-size=1", "--import", "tsx", "--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    expect(child.stderr).not.toContain("Assertion failed");
    expect({ status: child.status, signal: child.signal }).toEqual({ status: 0, signal: null });
    expect(child.stdout).toMatch(/^dropped \d{5,}\n$/);
  });
});
