// `tclocal tccli …` and `tclocal terraform …` (src/wrappers.ts) as a user runs them, and the README's
// "wrappers" blocks. tccli cannot be installed here, and terraform's Tencent Cloud provider cannot be
// downloaded, so stand-ins for both are first on PATH: each records its arguments, its environment and (the
// terraform one) the override file as it found it, then exits with the code it is told. The tccli stand-in
// also makes the call it was asked for, through the official Node SDK, to the endpoint and with the key
// pair the wrapper gave it: the wrapper's settings must reach a live tclocal and be accepted there.
// The real terraform binary parses and formats the override in test/wrappers/real-terraform.ts, run by hand
// where terraform is installed (CI machines may have none).
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY } from "../../src/auth/keys.js";
import { OVERRIDE_FILE, overrideHeader } from "../../src/terraform-override.js";
import { ROOT } from "../crash/harness.js";
import { readmeBlocks, shellLines, type ReadmeBlock } from "../helpers/readme.js";
import { createAccount, isRecord, sleep, startTestServer, type TestServer } from "../helpers/server.js";

const requireHere = createRequire(import.meta.url);
/** `--import` takes a URL; tsx's own name would be resolved from the child's working directory, a temporary one here. */
const TSX = pathToFileURL(requireHere.resolve("tsx")).href;
const CLI = join(ROOT, "src", "cli.ts");

const scratch = mkdtempSync(join(tmpdir(), "tclocal-wrappers-"));
/** The stand-ins, and `npx` for the README blocks; nothing else is on PATH. */
const bin = join(scratch, "bin");
/** A PATH with neither tccli nor terraform. */
const emptyBin = join(scratch, "empty-bin");
let server: TestServer;
let endpoint: string;

/** An executable script run by this Node, wherever PATH points. */
function writeExecutable(path: string, body: string): void {
  writeFileSync(path, `#!${process.execPath}\n${body}`);
  chmodSync(path, 0o755);
}

beforeAll(async () => {
  mkdirSync(bin);
  mkdirSync(emptyBin);
  // Both record one JSON line per run in $FAKE_RECORD; $FAKE_EXIT_CODE is their exit code.
  writeExecutable(
    join(bin, "tccli"),
    `const { appendFileSync } = require("node:fs");
const args = process.argv.slice(2);
appendFileSync(process.env.FAKE_RECORD, JSON.stringify({ tool: "tccli", args, env: process.env }) + "\\n");
if (process.env.FAKE_EXIT_CODE) process.exit(Number(process.env.FAKE_EXIT_CODE));
// tccli's options: --name value or --name=value.
const option = (name) => {
  const at = args.indexOf("--" + name);
  if (at >= 0) return args[at + 1];
  const joined = args.find((arg) => arg.startsWith("--" + name + "="));
  return joined === undefined ? undefined : joined.slice(name.length + 3);
};
const [service, action] = args;
if (service !== "cvm" || !/^[A-Z]/.test(action || "")) process.exit(0);
// As tccli: the endpoint's scheme and address, the region, and the key pair of TENCENTCLOUD_SECRET_ID/KEY.
const url = new URL(option("endpoint"));
const { cvm } = require(${JSON.stringify(requireHere.resolve("tencentcloud-sdk-nodejs-cvm"))});
const client = new cvm.v20170312.Client({
  credential: { secretId: process.env.TENCENTCLOUD_SECRET_ID, secretKey: process.env.TENCENTCLOUD_SECRET_KEY },
  region: option("region"),
  profile: { httpProfile: { endpoint: url.host, protocol: url.protocol + "//" } },
});
client[action]({}).then(
  (answer) => process.stdout.write(JSON.stringify(answer, null, 2) + "\\n"),
  (error) => {
    process.stderr.write("[TencentCloudSDKException] code:" + error.code + " message:" + error.message + "\\n");
    process.exitCode = 255;
  },
);
`,
  );
  // With FAKE_WAIT_FOR_SIGNAL it records that it waits, then waits for SIGINT or SIGTERM, records it and
  // exits (or gives up after 15 s, so that a failed test leaves no process behind); with FAKE_KILL_SELF it
  // ends by that signal.
  writeExecutable(
    join(bin, "terraform"),
    `const { appendFileSync, readFileSync, statSync } = require("node:fs");
const { join, resolve } = require("node:path");
const args = process.argv.slice(2);
let dir = process.cwd();
for (const arg of args) {
  if (!arg.startsWith("-")) break;
  if (arg.startsWith("-chdir=")) dir = resolve(arg.slice("-chdir=".length));
}
const file = join(dir, ${JSON.stringify(OVERRIDE_FILE)});
let override = null;
let mode = null;
try {
  override = readFileSync(file, "utf8");
  mode = statSync(file).mode & 0o777;
} catch {}
const record = (extra) =>
  appendFileSync(process.env.FAKE_RECORD, JSON.stringify({ tool: "terraform", args, cwd: process.cwd(), env: process.env, override, mode, ...extra }) + "\\n");
const exitCode = Number(process.env.FAKE_EXIT_CODE || 0);
if (process.env.FAKE_WAIT_FOR_SIGNAL) {
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => { record({ signal }); process.exit(exitCode); });
  record({ waiting: true });
  setTimeout(() => process.exit(124), 15000);
} else if (process.env.FAKE_KILL_SELF) {
  record({});
  process.kill(process.pid, process.env.FAKE_KILL_SELF);
} else {
  record({});
  process.exit(exitCode);
}
`,
  );
  // \`npx tclocal …\` in the README runs the tclocal under test (its source), not a build in dist/.
  writeFileSync(
    join(bin, "npx"),
    `#!/bin/sh
if [ "$1" != tclocal ]; then echo "this test's npx runs only tclocal, not $1" >&2; exit 127; fi
shift
exec ${JSON.stringify(process.execPath)} --import ${JSON.stringify(TSX)} ${JSON.stringify(CLI)} "$@"
`,
  );
  chmodSync(join(bin, "npx"), 0o755);
  server = await startTestServer();
  endpoint = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

interface Recorded {
  tool: "tccli" | "terraform";
  args: string[];
  cwd?: string;
  env: Record<string, string>;
  override?: string | null;
  mode?: number | null;
  signal?: string;
  waiting?: boolean;
}

interface Scenario {
  /** A new working directory. */
  dir: string;
  /** The stand-ins' records. */
  record: string;
  /** The environment a wrapper gets here: nothing but these (and `extra`). */
  env(extra?: Record<string, string>): Record<string, string>;
  /** What the stand-ins recorded so far. */
  runs(): Recorded[];
}

let scenarios = 0;
function scenario(files: Record<string, string> = {}): Scenario {
  const dir = join(scratch, `scenario-${++scenarios}`);
  mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  const record = join(scratch, `scenario-${scenarios}.jsonl`);
  return {
    dir,
    record,
    env: (extra = {}) => ({ PATH: bin, HOME: dir, FAKE_RECORD: record, TCLOCAL_ENDPOINT: endpoint, ...extra }),
    runs: () =>
      existsSync(record)
        ? readFileSync(record, "utf8")
            .trimEnd()
            .split("\n")
            .map((line) => JSON.parse(line) as Recorded)
        : [],
  };
}

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `tclocal ARGS` (one process: signals sent to it reach the wrapper itself); stdin is not a terminal. */
function startTclocal(args: readonly string[], options: { cwd: string; env: Record<string, string> }): { pid: number; kill(signal: NodeJS.Signals): void; done: Promise<Ran> } {
  const child = spawn(process.execPath, ["--import", TSX, CLI, ...args], { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const done = new Promise<Ran>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { pid: child.pid!, kill: (signal) => child.kill(signal), done };
}

/** Runs `tclocal ARGS` to its end (asynchronously: the server in this process must go on answering). */
function tclocal(args: readonly string[], options: { cwd: string; env: Record<string, string> }): Promise<Ran & { pid: number }> {
  const started = startTclocal(args, options);
  return started.done.then((ran) => ({ ...ran, pid: started.pid }));
}

function context(ran: Ran): string {
  return `stdout: ${ran.stdout}\nstderr: ${ran.stderr}`;
}

/** The answer tccli printed (the Response's fields), failing when it printed none. */
function answerOf(ran: Ran): Record<string, unknown> {
  let answer: unknown;
  try {
    answer = JSON.parse(ran.stdout);
  } catch {
    throw new Error(`tccli printed no JSON answer\n${context(ran)}`);
  }
  if (!isRecord(answer) || typeof answer.RequestId !== "string") throw new Error(`not an API answer: ${ran.stdout}`);
  return answer;
}

function zonesOf(ran: Ran): string[] {
  const zones = answerOf(ran).ZoneSet;
  if (!Array.isArray(zones)) throw new Error(`no ZoneSet: ${ran.stdout}`);
  return zones.map((zone: unknown) => (isRecord(zone) ? String(zone.Zone) : "?"));
}

/** The override file for a default block and the given aliases, with the development key, as written by `pid`. */
function expectedOverride(pid: number, aliases: string[] = []): string {
  const block = (alias?: string): string =>
    [
      'provider "tencentcloud" {',
      ...(alias === undefined ? [] : [`  alias          = "${alias}"`]),
      `  secret_id      = "${DEFAULT_SECRET_ID}"`,
      `  secret_key     = "${DEFAULT_SECRET_KEY}"`,
      '  security_token = ""',
      '  protocol       = "HTTP"',
      '  domain         = "tencentcloudapi.com"',
      "}",
      "",
    ].join("\n");
  return `${overrideHeader(pid)}\n${[block(), ...aliases.map(block)].join("\n")}`;
}

/** A root module as users write it: the provider's source, a default block with its own key pair, and an alias per other region. */
const CONFIGURATION = `terraform {
  required_providers {
    tencentcloud = {
      source = "tencentcloudstack/tencentcloud"
    }
  }
}

variable "secret_id" {}
variable "secret_key" {}

provider "tencentcloud" {
  region     = "ap-guangzhou"
  secret_id  = var.secret_id
  secret_key = var.secret_key
  protocol   = "HTTPS"
}

provider "tencentcloud" {
  alias  = "shanghai"
  region = "ap-shanghai"
}
`;

/** What the wrappers add to the environment of both tools (tclocal's key pair). */
const SIGNING = { TENCENTCLOUD_SECRET_ID: DEFAULT_SECRET_ID, TENCENTCLOUD_SECRET_KEY: DEFAULT_SECRET_KEY };

describe("tclocal tccli", () => {
  it("adds the endpoint and the default region to an API call and gives tccli the key pair: the call reaches tclocal", async () => {
    const here = scenario();
    const ran = await tclocal(["tccli", "cvm", "DescribeZones"], { cwd: here.dir, env: here.env() });
    expect(ran.code, context(ran)).toBe(0);
    expect(zonesOf(ran)).toEqual(["ap-guangzhou-1", "ap-guangzhou-2", "ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6", "ap-guangzhou-7"]);
    const [run] = here.runs();
    expect(run!.args).toEqual(["cvm", "DescribeZones", "--endpoint", endpoint, "--region", "ap-guangzhou"]);
    // The environment, exactly: the user's, the key pair, and tclocal's host kept away from a proxy.
    expect(run!.env).toEqual({ ...here.env(), ...SIGNING, NO_PROXY: "127.0.0.1", no_proxy: "127.0.0.1" });
  });

  it("keeps the region and the endpoint the user gives, and takes TENCENTCLOUD_REGION as the default region", async () => {
    const here = scenario();
    const joined = await tclocal(["tccli", "cvm", "DescribeZones", "--region=ap-shanghai"], { cwd: here.dir, env: here.env() });
    expect(joined.code, context(joined)).toBe(0);
    expect(zonesOf(joined).every((zone) => zone.startsWith("ap-shanghai-"))).toBe(true);
    const separate = await tclocal(["tccli", "cvm", "DescribeZones", "--endpoint", `${endpoint}/`, "--region", "ap-beijing"], { cwd: here.dir, env: here.env() });
    expect(separate.code, context(separate)).toBe(0);
    expect(zonesOf(separate).every((zone) => zone.startsWith("ap-beijing-"))).toBe(true);
    const fromEnvironment = await tclocal(["tccli", "cvm", "DescribeZones"], { cwd: here.dir, env: here.env({ TENCENTCLOUD_REGION: "ap-singapore" }) });
    expect(fromEnvironment.code, context(fromEnvironment)).toBe(0);
    expect(zonesOf(fromEnvironment).every((zone) => zone.startsWith("ap-singapore-"))).toBe(true);
    expect(here.runs().map((run) => run.args)).toEqual([
      ["cvm", "DescribeZones", "--region=ap-shanghai", "--endpoint", endpoint],
      ["cvm", "DescribeZones", "--endpoint", `${endpoint}/`, "--region", "ap-beijing"],
      ["cvm", "DescribeZones", "--endpoint", endpoint, "--region", "ap-singapore"],
    ]);
  });

  it("signs with TCLOCAL_SECRET_ID and TCLOCAL_SECRET_KEY, never with the user's own credential variables", async () => {
    const here = scenario();
    const account = await createAccount(server, "wrapped");
    const own = { TCLOCAL_SECRET_ID: account.SecretId, TCLOCAL_SECRET_KEY: account.SecretKey };
    // The user's real key and a token, a role and a TKE identity, any of which would make tccli sign otherwise.
    const users = {
      TENCENTCLOUD_SECRET_ID: "AKIDusersRealKey00000000000000000000",
      TENCENTCLOUD_SECRET_KEY: "usersRealSecretKey00000000000000",
      TENCENTCLOUD_TOKEN: "usersToken",
      TENCENTCLOUD_ROLE_ARN: "qcs::cam::uin/1:roleName/admin",
      TENCENTCLOUD_ROLE_SESSION_NAME: "me",
      TKE_ROLE_ARN: "qcs::cam::uin/1:roleName/pod",
      NO_PROXY: "corp.example",
    };
    const ran = await tclocal(["tccli", "cvm", "DescribeInstances"], { cwd: here.dir, env: here.env({ ...own, ...users }) });
    expect(ran.code, context(ran)).toBe(0);
    expect(answerOf(ran).TotalCount).toBe(0);
    expect(here.runs()[0]!.env).toEqual({
      ...here.env(own),
      TENCENTCLOUD_SECRET_ID: account.SecretId,
      TENCENTCLOUD_SECRET_KEY: account.SecretKey,
      NO_PROXY: "corp.example,127.0.0.1",
      no_proxy: "corp.example,127.0.0.1",
    });
    // A key pair tclocal does not know: tclocal refuses the signature, tccli fails, and its exit code is the wrapper's.
    const wrongKey = await tclocal(["tccli", "cvm", "DescribeZones"], { cwd: here.dir, env: here.env({ TCLOCAL_SECRET_KEY: "notTheSecretKeyOfThisAccount0000" }) });
    expect(wrongKey.code, context(wrongKey)).toBe(255);
    expect(wrongKey.stderr).toContain("code:AuthFailure.SignatureFailure");
  });

  it("passes tccli's own commands through without adding options, and passes its exit code on", async () => {
    const here = scenario();
    const commands = [["configure", "list"], ["help"], ["cvm", "help"], ["--version"], []];
    for (const args of commands) {
      const ran = await tclocal(["tccli", ...args], { cwd: here.dir, env: here.env() });
      expect(ran.code, context(ran)).toBe(0);
    }
    expect(here.runs().map((run) => run.args)).toEqual(commands);
    const failing = await tclocal(["tccli", "cvm", "DescribeZones"], { cwd: here.dir, env: here.env({ FAKE_EXIT_CODE: "7" }) });
    expect(failing.code).toBe(7);
  });

  it("says how to install tccli when it is not on PATH, and exits 127", async () => {
    const here = scenario();
    const ran = await tclocal(["tccli", "cvm", "DescribeZones"], { cwd: here.dir, env: here.env({ PATH: emptyBin }) });
    expect(ran.code).toBe(127);
    expect(ran.stderr).toBe("tclocal tccli: tccli was not found on PATH. Install it with `pip install tccli` (Python 3), then run this again.\n");
    expect(ran.stdout).toBe("");
  });

  it("refuses a TCLOCAL_ENDPOINT that is not an http:// URL", async () => {
    const here = scenario();
    const ran = await tclocal(["tccli", "cvm", "DescribeZones"], { cwd: here.dir, env: here.env({ TCLOCAL_ENDPOINT: "127.0.0.1:4577" }) });
    expect(ran.code).toBe(2);
    expect(ran.stderr).toBe("tclocal tccli: TCLOCAL_ENDPOINT `127.0.0.1:4577` is not an http:// URL such as http://127.0.0.1:4577\n");
    expect(here.runs()).toEqual([]);
  });
});

describe("tclocal terraform", () => {
  it("overrides each provider block for the run, gives terraform the provider's environment, and removes the file", async () => {
    const here = scenario({ "main.tf": CONFIGURATION });
    // The user's proxies and provider settings: the entries that would route around tclocal go, the rest stay.
    const users = {
      HTTPS_PROXY: "http://proxy.corp.example:3128",
      NO_PROXY: "localhost,.tencentcloudapi.com,corp.example,*,cvm.tencentcloudapi.com:80,com",
      TENCENTCLOUD_REGION: "ap-beijing",
      TENCENTCLOUD_PROTOCOL: "HTTPS",
      TENCENTCLOUD_SECURITY_TOKEN: "usersToken",
      TENCENTCLOUD_ASSUME_ROLE_ARN: "qcs::cam::uin/1:roleName/admin",
      TENCENTCLOUD_PROFILE: "production",
      TENCENTCLOUD_READ_RETRY_TIMEOUT: "1",
    };
    const ran = await tclocal(["terraform", "plan", "-input=false"], { cwd: here.dir, env: here.env(users) });
    expect(ran.code, context(ran)).toBe(0);
    const [run, ...more] = here.runs();
    expect(more).toEqual([]);
    expect(run!.args).toEqual(["plan", "-input=false"]);
    expect(run!.cwd).toBe(here.dir);
    expect(run!.override).toBe(expectedOverride(ran.pid, ["shanghai"]));
    expect(run!.mode).toBe(0o600);
    expect(run!.env).toEqual({
      ...here.env(),
      HTTPS_PROXY: "http://proxy.corp.example:3128",
      TENCENTCLOUD_READ_RETRY_TIMEOUT: "1",
      ...SIGNING,
      TENCENTCLOUD_REGION: "ap-beijing",
      TENCENTCLOUD_PROTOCOL: "HTTP",
      TENCENTCLOUD_DOMAIN: "tencentcloudapi.com",
      HTTP_PROXY: endpoint,
      http_proxy: endpoint,
      NO_PROXY: "localhost,corp.example",
      no_proxy: "localhost,corp.example",
    });
    expect(readdirSync(here.dir)).toEqual(["main.tf"]);
  });

  it("writes the file in the directory of -chdir=DIR, and sets ap-guangzhou as the default region", async () => {
    const here = scenario({ "infra/main.tf": CONFIGURATION });
    const ran = await tclocal(["terraform", "-chdir=infra", "apply", "-auto-approve"], { cwd: here.dir, env: here.env() });
    expect(ran.code, context(ran)).toBe(0);
    const [run] = here.runs();
    expect(run!.args).toEqual(["-chdir=infra", "apply", "-auto-approve"]);
    expect(run!.cwd).toBe(here.dir);
    expect(run!.override).toBe(expectedOverride(ran.pid, ["shanghai"]));
    expect(run!.env.TENCENTCLOUD_REGION).toBe("ap-guangzhou");
    expect(readdirSync(here.dir)).toEqual(["infra"]);
    expect(readdirSync(join(here.dir, "infra"))).toEqual(["main.tf"]);
  });

  it("writes no file for a configuration without provider blocks: the environment configures the provider", async () => {
    const here = scenario({ "main.tf": 'resource "tencentcloud_vpc" "main" {\n  cidr_block = "10.0.0.0/16"\n  name       = "main"\n}\n' });
    const ran = await tclocal(["terraform", "plan"], { cwd: here.dir, env: here.env() });
    expect(ran.code, context(ran)).toBe(0);
    const [run] = here.runs();
    expect(run!.override).toBeNull();
    expect(run!.env).toMatchObject({ ...SIGNING, TENCENTCLOUD_PROTOCOL: "HTTP", TENCENTCLOUD_DOMAIN: "tencentcloudapi.com", HTTP_PROXY: endpoint });
  });

  it("removes the file when terraform fails, and passes its exit code on (128 + the signal's number when a signal ends it)", async () => {
    const here = scenario({ "main.tf": CONFIGURATION });
    const failed = await tclocal(["terraform", "apply"], { cwd: here.dir, env: here.env({ FAKE_EXIT_CODE: "1" }) });
    expect(failed.code).toBe(1);
    const killed = await tclocal(["terraform", "apply"], { cwd: here.dir, env: here.env({ FAKE_KILL_SELF: "SIGKILL" }) });
    expect(killed.code).toBe(128 + 9);
    expect(here.runs().map((run) => run.override)).toEqual([expectedOverride(failed.pid, ["shanghai"]), expectedOverride(killed.pid, ["shanghai"])]);
    expect(readdirSync(here.dir)).toEqual(["main.tf"]);
  });

  it.each(["SIGTERM", "SIGINT"] as const)(
    "sends %s on to terraform, waits for it to stop, then removes the file",
    async (signal) => {
      const here = scenario({ "main.tf": CONFIGURATION });
      const wrapper = startTclocal(["terraform", "apply"], { cwd: here.dir, env: here.env({ FAKE_WAIT_FOR_SIGNAL: "1", FAKE_EXIT_CODE: "3" }) });
      for (let waited = 0; !here.runs().some((run) => run.waiting); waited += 50) {
        if (waited > 15_000) {
          wrapper.kill("SIGKILL");
          throw new Error(`terraform did not start within 15 s\n${context(await wrapper.done)}`);
        }
        await sleep(50);
      }
      expect(existsSync(join(here.dir, OVERRIDE_FILE))).toBe(true);
      wrapper.kill(signal);
      const ran = await Promise.race([wrapper.done, sleep(10_000).then(() => undefined)]);
      if (ran === undefined) {
        wrapper.kill("SIGKILL");
        throw new Error(`tclocal terraform did not end within 10 s of ${signal}`);
      }
      expect(ran.code, context(ran)).toBe(3);
      expect(here.runs().map((run) => run.signal ?? "waiting")).toEqual(["waiting", signal]);
      expect(readdirSync(here.dir)).toEqual(["main.tf"]);
    },
    30_000,
  );

  it("never overwrites a file of that name that it did not write, and does not run terraform then", async () => {
    const own = '# my own overrides\nprovider "tencentcloud" {\n  region = "ap-shanghai"\n}\n';
    const here = scenario({ "main.tf": CONFIGURATION, [OVERRIDE_FILE]: own });
    const ran = await tclocal(["terraform", "plan"], { cwd: here.dir, env: here.env() });
    expect(ran.code).toBe(1);
    expect(ran.stderr).toBe(
      `tclocal terraform: ${join(here.dir, OVERRIDE_FILE)} exists and was not written by tclocal terraform, so it is left as it is. Rename or remove it, then run this again.\n`,
    );
    expect(readFileSync(join(here.dir, OVERRIDE_FILE), "utf8")).toBe(own);
    expect(here.runs()).toEqual([]);
  });

  it("replaces a file left by a killed run, and leaves alone the file of a run still going", async () => {
    const ended = spawnSync(process.execPath, ["-e", ""]);
    const stale = expectedOverride(ended.pid, ["shanghai"]);
    const here = scenario({ "main.tf": CONFIGURATION, [OVERRIDE_FILE]: stale });
    const ran = await tclocal(["terraform", "plan"], { cwd: here.dir, env: here.env() });
    expect(ran.code, context(ran)).toBe(0);
    expect(here.runs()[0]!.override).toBe(expectedOverride(ran.pid, ["shanghai"]));
    expect(readdirSync(here.dir)).toEqual(["main.tf"]);
    // This test's own process stands for a run still going.
    const live = expectedOverride(process.pid, ["shanghai"]);
    writeFileSync(join(here.dir, OVERRIDE_FILE), live);
    const refused = await tclocal(["terraform", "plan"], { cwd: here.dir, env: here.env() });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`belongs to another tclocal terraform run (pid ${process.pid}), still running here`);
    expect(readFileSync(join(here.dir, OVERRIDE_FILE), "utf8")).toBe(live);
    expect(here.runs()).toHaveLength(1);
  });

  it("says how to install terraform when it is not on PATH, exits 127, and leaves no file", async () => {
    const here = scenario({ "main.tf": CONFIGURATION });
    const ran = await tclocal(["terraform", "plan"], { cwd: here.dir, env: here.env({ PATH: emptyBin }) });
    expect(ran.code).toBe(127);
    expect(ran.stderr).toBe(
      "tclocal terraform: terraform was not found on PATH. Install it (https://developer.hashicorp.com/terraform/install), then run this again.\n",
    );
    expect(readdirSync(here.dir)).toEqual(["main.tf"]);
  });
});

describe("usage", () => {
  it("`tclocal tccli -h` and `tclocal terraform --help` print their usage without running the tool; `tclocal --help` lists them", async () => {
    const here = scenario({ "main.tf": CONFIGURATION });
    const tccli = await tclocal(["tccli", "-h"], { cwd: here.dir, env: here.env() });
    expect(tccli.code).toBe(0);
    expect(tccli.stdout).toMatch(/^Usage: tclocal tccli <tccli arguments>\n/);
    const terraform = await tclocal(["terraform", "--help"], { cwd: here.dir, env: here.env() });
    expect(terraform.code).toBe(0);
    expect(terraform.stdout).toMatch(/^Usage: tclocal terraform <terraform arguments>\n/);
    expect(here.runs()).toEqual([]);
    expect(readdirSync(here.dir)).toEqual(["main.tf"]);
    const tclocalHelp = await tclocal(["--help"], { cwd: here.dir, env: here.env() });
    expect(tclocalHelp.stdout).toContain("tclocal tccli <tccli arguments>");
    expect(tclocalHelp.stdout).toContain("tclocal terraform <arguments>");
  });
});

describe("README: the wrappers blocks", () => {
  const blocks = readmeBlocks("wrappers");

  it("exist", () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  /** A working directory with the configuration the README's override example is for: a default block and an alias `shanghai`. */
  function readmeScenario(): Scenario {
    return scenario({ "main.tf": CONFIGURATION });
  }

  /** Runs one command line of a README block with /bin/sh, as a user would, with the stand-ins on PATH. */
  async function runLine(line: string, here: Scenario): Promise<Ran> {
    return new Promise<Ran>((resolve, reject) => {
      const child = spawn("/bin/sh", ["-c", line], { cwd: here.dir, env: here.env(), stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      child.once("error", reject);
      child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
  }

  const where = (block: ReadmeBlock): string => `README.md line ${block.line}`;

  it.each(blocks.map((block) => [block.line, block] as const))(
    "the block at README.md line %i does what the README says",
    async (_line, block) => {
      const here = readmeScenario();
      if (block.info === "hcl") {
        // The override file shown: what `tclocal terraform` writes for that configuration (the pid aside).
        const ran = await tclocal(["terraform", "plan"], { cwd: here.dir, env: here.env() });
        expect(ran.code, context(ran)).toBe(0);
        const written = here.runs()[0]!.override;
        expect(written, where(block)).toBe(block.code.replace(/\(pid \d+\)/, `(pid ${ran.pid})`));
        return;
      }
      expect(block.info, `${where(block)}: a wrappers block is sh or hcl`).toBe("sh");
      const lines = shellLines(block.code);
      expect(lines.length, where(block)).toBeGreaterThan(0);
      for (const line of lines) {
        const before = here.runs().length;
        const ran = await runLine(line, here);
        const about = `${where(block)}: \`${line}\`\n${context(ran)}`;
        expect(ran.code, about).toBe(0);
        const runs = here.runs().slice(before);
        expect(runs, about).toHaveLength(1);
        if (/\bnpx tclocal tccli\b/.test(line)) {
          // tccli made the call against tclocal and printed its answer.
          expect(runs[0]!.tool, about).toBe("tccli");
          expect(answerOf(ran).RequestId, about).toBeTruthy();
        } else if (/\bnpx tclocal terraform\b/.test(line)) {
          expect(runs[0]!.tool, about).toBe("terraform");
          expect(runs[0]!.override, about).toMatch(/^# Written by `tclocal terraform`/);
          expect(readdirSync(here.dir), about).toEqual(["main.tf"]);
        } else {
          throw new Error(`${about}\nruns neither tclocal tccli nor tclocal terraform`);
        }
      }
    },
    60_000,
  );
});
