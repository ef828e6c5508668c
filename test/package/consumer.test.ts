// tclocal as a user's project gets it: `npm pack`, then an install of the tarball into a new project outside
// this repository (so nothing resolves from the repository's node_modules), exactly as the README's
// consumer-install block says. That project then has the `tclocal` command (started with npx and stopped
// with signals), the importable API, and the test helper, which the README's vitest, Jest and node:test
// examples use, each run by its own runner. Slow (the install builds better-sqlite3), so it is not part of
// `npm test`: `npm run test:package`, which CI runs.
import { execFile, execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VERSION } from "../../src/version.js";
import { ROOT } from "../crash/harness.js";
import { readmeBlocks } from "../helpers/readme.js";

const consumer = mkdtempSync(join(tmpdir(), "tclocal-consumer-"));
const tarballDir = mkdtempSync(join(tmpdir(), "tclocal-pack-"));
let tarball = "";

/** The test runners the README's examples need, beside what its consumer-install block installs. */
const RUNNERS = ["vitest@3", "jest@30"];

/**
 * Runs a shell command; fails with its output unless it exits 0. Returns stdout, and stderr after it unless
 * `stdoutOnly`. Asynchronous: a worker blocked for the minutes an install takes loses its link to vitest.
 */
function sh(command: string, cwd: string, env: Record<string, string> = {}, stdoutOnly = false): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("bash", ["-c", command], { cwd, encoding: "utf8", env: { ...process.env, ...env }, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`\`${command}\` in ${cwd} failed (${error.message.split("\n")[0]}):\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`));
      else resolve(stdoutOnly ? stdout : stdout + stderr);
    });
  });
}

beforeAll(async () => {
  // The README's block: `npm pack` in the clone, then the install of the tarball in the user's project.
  const [block] = readmeBlocks("consumer-install");
  const lines = block!.code.split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter((l) => l !== "");
  expect(lines).toEqual(["npm pack", "npm install --save-dev /path/to/tclocal-0.1.0.tgz tencentcloud-sdk-nodejs-cvm"]);
  // Packed elsewhere than the README says (the clone), so that the test leaves no tarball in the repository.
  // --json prints the result after the build's own output (prepare).
  const packOutput = await sh(`${lines[0]} --json --pack-destination ${tarballDir}`, ROOT, {}, true);
  const packed = JSON.parse(packOutput.slice(packOutput.search(/^\[/m))) as { filename: string }[];
  tarball = join(tarballDir, packed[0]!.filename);
  expect(packed[0]!.filename).toBe(`tclocal-${VERSION}.tgz`);
  writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2));
  await sh(lines[1]!.replace("/path/to/tclocal-0.1.0.tgz", tarball) + " --no-audit --no-fund", consumer);
  await sh(`npm install --save-dev ${RUNNERS.join(" ")} --no-audit --no-fund`, consumer);
}, 900_000);

afterAll(() => {
  rmSync(consumer, { recursive: true, force: true });
  rmSync(tarballDir, { recursive: true, force: true });
});

describe("the npm package", () => {
  it("carries only what it needs to run: the compiled JavaScript, its types and data, the install check", () => {
    const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).trim().split("\n").map((f) => f.replace(/^package\//, ""));
    const unexpected = files.filter((f) => !/^(package\.json|README\.md|LICENSE|scripts\/check-sqlite-driver\.mjs|dist\/.+\.(js|d\.ts|json))$/.test(f));
    expect(unexpected).toEqual([]);
    for (const needed of ["dist/cli.js", "dist/index.js", "dist/index.d.ts", "dist/testing.js", "dist/testing.d.ts", "dist/products/cvm/model.gen.json", "dist/products/sts/model.gen.json", "dist/products/cvm/errors.json"]) {
      expect(files).toContain(needed);
    }
  });

  it("gives the project the tclocal command", async () => {
    expect((await sh("npx tclocal --version", consumer)).trim()).toBe(VERSION);
  });

  it("gives the project an importable API with its types", async () => {
    const out = await sh(
      `node --input-type=module -e 'import * as api from "tclocal"; import * as testing from "tclocal/testing";
       console.log(JSON.stringify({ version: api.VERSION, api: Object.keys(api).sort(), testing: Object.keys(testing).sort() }))'`,
      consumer,
    );
    const exported = JSON.parse(out) as { version: string; api: string[]; testing: string[] };
    expect(exported.version).toBe(VERSION);
    expect(exported.api).toEqual(["DEFAULT_SECRET_ID", "DEFAULT_SECRET_KEY", "VERSION", "callAdmin", "loadConfig", "signAdminRequest", "startServer"]);
    expect(exported.testing).toEqual(["sdkClientConfig", "startTclocal"]);
  });

  // SIGTERM as a harness sends it, to npx's process; SIGINT as a terminal's Ctrl-C sends it, to the process group.
  it.each([
    ["SIGTERM", "process"],
    ["SIGINT", "process group"],
  ] as const)("npx tclocal serves the SDK and stops on %s sent to its %s", async (signal, target) => {
    const child = spawn("npx", ["tclocal", "--in-memory", "--port", "0"], { cwd: consumer, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        out += chunk;
        const ready = /tclocal ready on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (ready) resolve(Number(ready[1]));
      });
      child.once("exit", (code) => reject(new Error(`npx tclocal exited with ${code} before it was ready: ${out}`)));
    });
    const zones = await sh(
      `node --input-type=module -e 'import tc from "tencentcloud-sdk-nodejs-cvm";
       const c = new tc.cvm.v20170312.Client({ credential: { secretId: "AKIDtclocalDefaultDevelopmentKey0000", secretKey: "tclocalDefaultDevelopmentSecret0" }, region: "ap-guangzhou", profile: { httpProfile: { endpoint: "127.0.0.1:${port}", protocol: "http://" } } });
       console.log((await c.DescribeZones({})).TotalCount)'`,
      consumer,
    );
    expect(zones.trim()).toBe("6");
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    if (target === "process") child.kill(signal);
    else process.kill(-child.pid!, signal);
    await exited;
    await new Promise((resolve) => setTimeout(resolve, 500)); // the server notices that npm went (src/cli.ts)
    // The server went with npx: nothing listens on its port any more.
    const probe = spawnSync("bash", ["-c", `exec 3<>/dev/tcp/127.0.0.1/${port}`], { encoding: "utf8" });
    expect(probe.status).not.toBe(0);
  });
});

describe("the README's test helper examples, each run by its runner in the project", () => {
  const runs: { kind: string; dir: string; expected: RegExp }[] = [
    { kind: "consumer-vitest", dir: "vitest-example", expected: /Tests\s+1 passed \(1\)/ },
    { kind: "consumer-jest", dir: "jest-example", expected: /Tests:\s+1 passed, 1 total/ },
    { kind: "consumer-node-test", dir: "node-test-example", expected: /# pass 1\n# fail 0/ },
  ];
  it.each(runs)("$kind", async ({ kind, dir, expected }) => {
    const [block] = readmeBlocks(kind);
    // The first line names the file and the command: `// instances.test.js; run with: <command>`.
    const head = /^\/\/ (\S+); run with: (.+)$/.exec(block!.code.split("\n")[0]!);
    expect(head).not.toBeNull();
    mkdirSync(join(consumer, dir), { recursive: true });
    // A project of its own for each runner (Jest would take the parent's package.json as its root and run
    // every example); modules still resolve from the consuming project's node_modules.
    writeFileSync(join(consumer, dir, "package.json"), JSON.stringify({ private: true, type: "module" }));
    writeFileSync(join(consumer, dir, head![1]!), block!.code);
    const output = await sh(head![2]!, join(consumer, dir), { CI: "1", NO_COLOR: "1", FORCE_COLOR: "0" });
    expect(output).toMatch(expected);
  }, 120_000);
});
