// The README runs. Every fenced block in it carries a `<!-- readme-test: KIND -->` marker on the line just
// before its opening fence, and every kind a block has is run by a test. This file runs four kinds:
//   node-esm     each block is saved as an .mjs file from which the SDK resolves and run with `node`
//                against a live tclocal; its output is checked;
//   shell-live   each command line is run with bash against a live tclocal (TCLOCAL_PORT and
//                TCLOCAL_ADMIN_TOKEN set, `4577` replaced by its port) and must print an API 3.0
//                envelope without an Error;
//   ci           each command is one .ci/run runs, or `npm start`, which is run here;
//   npm-scripts  each `npm run X` names a script; the tools print their usage with `-h`, and the others
//                are run by .ci/run or `npm install`, or checked by another test.
// The other kinds run in their own test files.
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_FILE } from "../../src/store/sqlite.js";
import { childEnv, IMAGE_ID, readyPort, ROOT, sdkClient, startTclocal, type TclocalProcess } from "../crash/harness.js";
import { readmeBlocks, shellCommands, shellLines, type ReadmeBlock } from "../helpers/readme.js";
import { isRecord, UUID_RE } from "../helpers/server.js";

/** Every kind a README block may have. */
const KNOWN_KINDS = [
  "node-esm",
  "shell-live",
  "ci",
  "npm-scripts",
  "wrappers",
  "consumer-install",
  "consumer-vitest",
  "consumer-jest",
  "consumer-node-test",
  "postgres",
  "cluster",
] as const;

/** The kinds this file runs. */
const RUN_HERE = ["node-esm", "shell-live", "ci", "npm-scripts"] as const;

/** The address the README's examples use; replaced by the live server's. */
const README_PORT = "4577";

/** 16–256 printable characters, as --admin-token wants. */
const ADMIN_TOKEN = "readme-test-admin-token-0123456789";

/** The tools whose options `npm run X -- -h` lists (the README says so under Development). */
const TOOLS = ["bench", "fuzz", "crash", "soak"];

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end (without blocking this process: the server's log pipe must keep draining). */
function run(file: string, args: readonly string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: options.cwd ?? ROOT, env: childEnv(options.env), encoding: "utf8", timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ code, stdout, stderr: stderr + (error !== null && code === null ? `\n(${error.message})` : "") });
      },
    );
  });
}

function where(block: ReadmeBlock): string {
  return `README.md line ${block.line}`;
}

/** The commands .ci/run runs, in order, each as its words. */
function ciCommands(): string[][] {
  return shellCommands(readFileSync(join(ROOT, ".ci", "run"), "utf8"));
}

/** The index in .ci/run of the first command that `words` starts (`npm install` runs as `npm install --no-audit …`), or -1. */
function ciIndex(words: readonly string[], ci: readonly string[][] = ciCommands()): number {
  return ci.findIndex((command) => words.length <= command.length && words.every((word, i) => command[i] === word));
}

function packageScripts(): Record<string, string> {
  const manifest: unknown = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  if (!isRecord(manifest) || !isRecord(manifest.scripts)) throw new Error("package.json has no scripts");
  const scripts: Record<string, string> = {};
  for (const [name, command] of Object.entries(manifest.scripts)) if (typeof command === "string") scripts[name] = command;
  return scripts;
}

describe("README code blocks", () => {
  const blocks = readmeBlocks();

  it("each have a readme-test marker of a known kind on the line before the fence", () => {
    expect(blocks.length).toBeGreaterThan(0);
    const known: readonly string[] = KNOWN_KINDS;
    const unmarked = blocks.filter((b) => !known.includes(b.kind)).map((b) => `${where(b)}: ${b.kind === "" ? "no marker" : `unknown kind \`${b.kind}\``}`);
    expect(unmarked, `every fenced block needs <!-- readme-test: KIND --> just before it, KIND one of ${known.join(", ")}`).toEqual([]);
  });

  it("are each run by a test file for their kind", () => {
    const testFiles = readdirSync(join(ROOT, "test"), { recursive: true, encoding: "utf8" })
      .filter((path) => path.endsWith(".test.ts"))
      .map((path) => ({ path: join("test", path), text: readFileSync(join(ROOT, "test", path), "utf8") }));
    const here: readonly string[] = RUN_HERE;
    // A runner: a test file that calls readmeBlocks and names the kind ("wrappers"); this file, which names
    // every kind in KNOWN_KINDS, runs only its own.
    const runners = (kind: string): string[] =>
      testFiles
        .filter((f) => f.path !== join("test", "e2e", "readme.test.ts") || here.includes(kind))
        .filter((f) => f.text.includes("readmeBlocks(") && (f.text.includes(`"${kind}"`) || f.text.includes(`'${kind}'`)))
        .map((f) => f.path);
    const withoutRunner = [...new Set(blocks.map((b) => b.kind))].filter((kind) => runners(kind).length === 0);
    expect(withoutRunner, "kinds of README blocks that no test file runs (calls readmeBlocks and names the kind)").toEqual([]);
    // The kinds run here each have blocks, so that their runners are not vacuous.
    for (const kind of RUN_HERE) expect(readmeBlocks(kind).length, `README blocks of kind ${kind}`).toBeGreaterThan(0);
  });
});

describe("README blocks against a live tclocal", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "tclocal-readme-"));
  // Inside the repository's node_modules, so that `tencentcloud-sdk-nodejs-cvm` resolves from the snippets as
  // it does in a project that installed it.
  // (node_modules/.cache is not there after a fresh install.)
  mkdirSync(join(ROOT, "node_modules", ".cache"), { recursive: true });
  const scriptDir = mkdtempSync(join(ROOT, "node_modules", ".cache", "tclocal-readme-"));
  let server: TclocalProcess;

  beforeAll(async () => {
    server = await startTclocal({ dataDir, args: ["--in-memory", "--admin-token", ADMIN_TOKEN] });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(scriptDir, { recursive: true, force: true });
  });

  /** A README text pointed at the live server instead of port 4577. */
  function live(code: string): string {
    return code.replace(new RegExp(`\\b${README_PORT}\\b`, "g"), String(server.port));
  }

  /** What each Node example must print; every node-esm block is matched by exactly one. */
  const nodeExpectations: Array<{ what: string; applies: (code: string) => boolean; check: (stdout: string) => Promise<void> }> = [
    {
      what: "the zones of ap-guangzhou (DescribeZones)",
      applies: (code) => code.includes("DescribeZones"),
      check: async (stdout) => {
        expect(stdout).toBe(
          [
            "ap-guangzhou-1 UNAVAILABLE",
            "ap-guangzhou-2 UNAVAILABLE",
            "ap-guangzhou-3 AVAILABLE",
            "ap-guangzhou-4 AVAILABLE",
            "ap-guangzhou-6 AVAILABLE",
            "ap-guangzhou-7 AVAILABLE",
            "",
          ].join("\n"),
        );
      },
    },
    {
      what: "a first instance run, stopped and terminated",
      applies: (code) => code.includes("RunInstances"),
      check: async (stdout) => {
        const lines = stdout.trimEnd().split("\n");
        const id = /^(ins-[a-z0-9]{8}) /.exec(lines[0] ?? "")?.[1];
        expect(id, stdout).toBeDefined();
        const states = lines.filter((l) => l.startsWith(`${id} `)).map((l) => l.slice(`${id} `.length));
        // The transitional states last 1–1.5 s (--timing fast), so a poll sees them unless the machine stalls.
        expect(states.join(" ")).toMatch(/^(PENDING )?RUNNING (STOPPING )?STOPPED (TERMINATING )?gone$/);
        const { ImageSet } = await sdkClient(server.port).DescribeImages({ ImageIds: [IMAGE_ID] });
        const osName = ImageSet?.[0]?.OsName ?? "";
        expect(osName).not.toBe("");
        // The line after RUNNING: type, zone, operating system and private IP (from the default subnet, 172.16.0.0/16).
        const about = lines[lines.indexOf(`${id} RUNNING`) + 1] ?? "";
        expect(about.startsWith(`S5.MEDIUM4 in ap-guangzhou-3, ${osName}, private IP `), stdout).toBe(true);
        expect(about).toMatch(/, private IP 172\.16\.\d+\.\d+$/);
        // Gone indeed: terminated pay-as-you-go instances are no longer listed.
        const { TotalCount } = await sdkClient(server.port).DescribeInstances({ InstanceIds: [id!] });
        expect(TotalCount).toBe(0);
      },
    },
  ];

  it.each(readmeBlocks("node-esm").map((block) => [block.line, block] as const))(
    "node-esm: the block at README.md line %i runs as an ES module in a project with the SDK",
    async (_line, block) => {
      expect(block.code, `${where(block)} must point at 127.0.0.1:${README_PORT}`).toContain(`127.0.0.1:${README_PORT}`);
      const expectations = nodeExpectations.filter((e) => e.applies(block.code));
      expect(expectations.map((e) => e.what), `${where(block)}: exactly one expectation of this file must describe its output`).toHaveLength(1);
      const file = join(scriptDir, `readme-line-${block.line}.mjs`);
      writeFileSync(file, live(block.code));
      const ran = await run(process.execPath, [file], { cwd: scriptDir });
      expect(ran.code, `${where(block)}\n${ran.stdout}${ran.stderr}`).toBe(0);
      await expectations[0]!.check(ran.stdout);
    },
    30_000,
  );

  it.each(readmeBlocks("shell-live").map((block) => [block.line, block] as const))(
    "shell-live: each command of the block at README.md line %i answers without an error",
    async (_line, block) => {
      const lines = shellLines(block.code);
      expect(lines.length).toBeGreaterThan(0);
      // TCLOCAL_PORT alone: `tclocal admin` makes its endpoint from it, as the README says.
      const env = { TCLOCAL_PORT: String(server.port), TCLOCAL_ADMIN_TOKEN: ADMIN_TOKEN };
      for (const line of lines) {
        const command = live(line);
        const ran = await run("bash", ["-c", command], { env });
        const context = `${where(block)}: \`${command}\`\n${ran.stdout}${ran.stderr}`;
        if (/tclocal: Permission denied/.test(ran.stderr)) {
          // npx sets the x bit of dist/cli.js when it first links the bin; a build that recreates the file drops it.
          throw new Error(`dist/cli.js is not executable, so \`npx tclocal\` cannot run it\n${context}`);
        }
        expect(ran.code, context).toBe(0);
        let answer: unknown;
        try {
          answer = JSON.parse(ran.stdout);
        } catch {
          throw new Error(`printed no JSON answer: ${context}`);
        }
        // The API 3.0 envelope, {"Response": {..., "RequestId": "<uuid>"}}, without an Error.
        const response = isRecord(answer) ? answer.Response : undefined;
        if (!isRecord(response)) throw new Error(`printed no {"Response": {...}} envelope: ${context}`);
        expect(Object.keys(answer as object), context).toEqual(["Response"]);
        expect(response.Error, context).toBeUndefined();
        expect(response.RequestId, context).toMatch(UUID_RE);
      }
    },
    60_000,
  );
});

describe("ci: the Quick start commands", () => {
  const blocks = readmeBlocks("ci");

  it("are each `npm start` or run by .ci/run", () => {
    const ci = ciCommands();
    for (const block of blocks) {
      const commands = shellCommands(block.code);
      expect(commands.length).toBeGreaterThan(0);
      for (const words of commands) {
        if (words.join(" ") === "npm start") continue;
        expect(ciIndex(words, ci), `${where(block)}: \`${words.join(" ")}\` is not run by .ci/run (${ci.map((c) => c.join(" ")).join("; ")})`).toBeGreaterThanOrEqual(0);
      }
    }
    expect(blocks.some((b) => shellCommands(b.code).some((words) => words.join(" ") === "npm start"))).toBe(true);
  });

  it("`npm start` serves on 127.0.0.1 with its data dir, and SIGTERM stops it cleanly", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tclocal-readme-start-"));
    // Configured through the environment, as the README's bare `npm start` is: a free port, a new data dir.
    const npm = spawn("npm", ["start"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: childEnv({ TCLOCAL_PORT: "0", TCLOCAL_DATA_DIR: dataDir }) });
    const exited = new Promise<number | null>((resolve) => npm.once("exit", (code) => resolve(code)));
    try {
      const port = await readyPort(npm);
      expect((await sdkClient(port).DescribeZones(null)).TotalCount).toBe(6);
      expect(existsSync(join(dataDir, DATABASE_FILE))).toBe(true);
      npm.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      npm.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("npm-scripts: the Development commands", () => {
  const blocks = readmeBlocks("npm-scripts");
  /** Each command with its block, the script it runs and the words after `--`. */
  const commands = blocks.flatMap((block) =>
    shellCommands(block.code).map((words) => {
      const script = words[0] === "npm" && words[1] === "test" ? "test" : words[0] === "npm" && words[1] === "run" ? words[2] : undefined;
      const dashes = words.indexOf("--");
      return { block, words, script, options: dashes < 0 ? [] : words.slice(dashes + 1) };
    }),
  );

  it("name scripts of package.json, each run by CI, by `npm install`, by another test, or listing its options with -h", () => {
    const scripts = packageScripts();
    const ci = ciCommands();
    for (const { block, words, script } of commands) {
      const context = `${where(block)}: \`${words.join(" ")}\``;
      expect(script, `${context} is not \`npm test\` or \`npm run SCRIPT\``).toBeDefined();
      expect(Object.keys(scripts), context).toContain(script);
      if (TOOLS.includes(script!)) continue; // run with -h below
      if (script === "build") {
        expect(scripts.prepare, `${context}: npm install runs it`).toMatch(/\bnpm run build\b/);
      } else if (script === "gen:model") {
        expect(scripts["gen:model"]).toContain("scripts/gen-model.ts");
        // test/unit/model-gen.test.ts checks that the committed models are what the script makes.
        expect(readFileSync(join(ROOT, "test", "unit", "model-gen.test.ts"), "utf8"), context).toContain("../../scripts/gen-model.js");
      } else {
        expect(ciIndex(words.slice(0, script === "test" ? 2 : 3), ci), `${context} is run neither by .ci/run nor by a test`).toBeGreaterThanOrEqual(0);
      }
    }
    for (const tool of TOOLS) expect(commands.map((c) => c.script), `npm run ${tool} is in the Development block`).toContain(tool);
  });

  it("`npm run X -- -h` prints the usage of bench, fuzz, crash and soak, with the options the README passes", async () => {
    const tools = commands.filter((c) => TOOLS.includes(c.script!));
    const runs = await Promise.all(tools.map((c) => run("npm", ["run", "--silent", c.script!, "--", "-h"])));
    tools.forEach(({ block, script, options }, i) => {
      const ran = runs[i]!;
      const context = `${where(block)}: npm run ${script} -- -h\n${ran.stdout}${ran.stderr}`;
      expect(ran.code, context).toBe(0);
      expect(ran.stdout, context).toMatch(new RegExp(`^Usage: npm run ${script} -- \\[options\\]`));
      for (const option of options.filter((o) => o.startsWith("--"))) expect(ran.stdout, context).toContain(option);
    });
  });
});
