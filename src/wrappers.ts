// `tclocal tccli …` and `tclocal terraform …`: the user's own tccli or terraform (from PATH), pointed at the
// local tclocal, like awslocal and tflocal, without changing the user's files. README: "Wrappers".
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { join, resolve } from "node:path";
import { isatty } from "node:tty";
import { localTarget } from "./local-target.js";
import { OVERRIDE_FILE, overrideContent, overrideWriterPid, tencentcloudProviderBlocks } from "./terraform-override.js";

/** The region when neither the command nor TENCENTCLOUD_REGION gives one; tccli's and the provider's default too. */
export const DEFAULT_REGION = "ap-guangzhou";

export const TCCLI_USAGE = `Usage: tclocal tccli <tccli arguments>

Runs your tccli (from PATH) against a running tclocal, e.g. tclocal tccli cvm DescribeZones.
To an API call (tccli SERVICE Action ...) it adds --endpoint $TCLOCAL_ENDPOINT (default
http://127.0.0.1:$TCLOCAL_PORT, port 4577) and --region $TENCENTCLOUD_REGION (default ${DEFAULT_REGION})
unless you give them. tccli signs with TCLOCAL_SECRET_ID and TCLOCAL_SECRET_KEY (default: the
development key), passed as TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY; with --profile, tccli
uses that profile's key instead. Your ~/.tccli files are not changed. The exit code is tccli's.
`;

export const TERRAFORM_USAGE = `Usage: tclocal terraform <terraform arguments>

Runs your terraform (from PATH) with the Tencent Cloud provider pointed at a running tclocal
(TCLOCAL_ENDPOINT, default http://127.0.0.1:$TCLOCAL_PORT, port 4577), signing with TCLOCAL_SECRET_ID
and TCLOCAL_SECRET_KEY (default: the development key):
  - its environment sets TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY, TENCENTCLOUD_REGION (yours,
    or ${DEFAULT_REGION}), TENCENTCLOUD_PROTOCOL=HTTP, TENCENTCLOUD_DOMAIN=tencentcloudapi.com and
    HTTP_PROXY=<the endpoint>;
  - when the working directory (-chdir=DIR) has provider "tencentcloud" blocks, ${OVERRIDE_FILE}
    overrides their key pair, protocol and domain for this run; it is removed when terraform ends, and a
    file of that name that tclocal did not write is never overwritten.
The exit code is terraform's.
`;

/** `tclocal tccli ARGS`: resolves with tccli's exit code. */
export async function runTccli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (isHelpRequest(args)) {
    process.stdout.write(TCCLI_USAGE);
    return 0;
  }
  const target = endpointOrComplaint("tclocal tccli", env);
  if (typeof target === "number") return target;
  return runTool("tclocal tccli", {
    command: "tccli",
    args: tccliArguments(args, target.endpoint.origin, defaultRegion(env)),
    env: tccliEnvironment(env, target),
    notFound: "tccli was not found on PATH. Install it with `pip install tccli` (Python 3), then run this again.",
  });
}

/** `tclocal terraform ARGS`: resolves with terraform's exit code. */
export async function runTerraform(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (isHelpRequest(args)) {
    process.stdout.write(TERRAFORM_USAGE);
    return 0;
  }
  const target = endpointOrComplaint("tclocal terraform", env);
  if (typeof target === "number") return target;
  const dir = resolve(terraformWorkingDirectory(args));
  const path = join(dir, OVERRIDE_FILE);
  let written = false;
  const removeOverride = (): void => {
    if (written) rmSync(path, { force: true });
    written = false;
  };
  // Should this process end some other way (an uncaught error), the file and its SecretKey still go.
  process.once("exit", removeOverride);
  try {
    const tool = {
      command: "terraform",
      args: [...args],
      env: terraformEnvironment(env, target),
      notFound: "terraform was not found on PATH. Install it (https://developer.hashicorp.com/terraform/install), then run this again.",
    };
    return await runTool("tclocal terraform", tool, () => {
      const refusal = claimOverridePath(path);
      if (refusal !== undefined) {
        process.stderr.write(`tclocal terraform: ${refusal}\n`);
        return 1;
      }
      // No provider block: the environment alone configures the provider, and no file is needed.
      const blocks = tencentcloudProviderBlocks(dir);
      if (blocks.length === 0) return undefined;
      try {
        // `wx`: never over a file that appeared since the check; 0600: it holds the SecretKey.
        writeFileSync(path, overrideContent(blocks, target.credentials, process.pid), { flag: "wx", mode: 0o600 });
      } catch (error) {
        process.stderr.write(`tclocal terraform: cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
        return 1;
      }
      written = true;
      return undefined;
    });
  } finally {
    removeOverride();
    process.off("exit", removeOverride);
  }
}

function isHelpRequest(args: readonly string[]): boolean {
  return args.length === 1 && (args[0] === "-h" || args[0] === "--help");
}

interface Target {
  endpoint: URL;
  credentials: { secretId: string; secretKey: string };
}

/** tclocal's address and key pair, or the exit code 2 after saying why TCLOCAL_ENDPOINT is not usable. */
function endpointOrComplaint(wrapper: string, env: NodeJS.ProcessEnv): Target | number {
  const { endpoint, credentials } = localTarget(env);
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  // tclocal serves plain HTTP; tccli takes the scheme from the endpoint, and a proxy URL needs one.
  if (url?.protocol !== "http:") {
    process.stderr.write(`${wrapper}: TCLOCAL_ENDPOINT \`${endpoint.slice(0, 100)}\` is not an http:// URL such as http://127.0.0.1:4577\n`);
    return 2;
  }
  return { endpoint: url, credentials };
}

function defaultRegion(env: NodeJS.ProcessEnv): string {
  return env.TENCENTCLOUD_REGION || DEFAULT_REGION;
}

/**
 * tccli's arguments: the user's, unchanged, then `--endpoint` and `--region` when the command is an API call
 * (`tccli SERVICE Action …`: actions are PascalCase, tccli's own commands, `configure`, `help`, plugin
 * commands such as `auth login`, are not) that does not give them itself.
 */
export function tccliArguments(args: readonly string[], endpoint: string, region: string): string[] {
  const [service, action] = args;
  const apiCall = service !== undefined && action !== undefined && /^[a-z][a-z0-9]*$/.test(service) && /^[A-Z][A-Za-z0-9]*$/.test(action);
  const gives = (option: string): boolean => args.some((arg) => arg === option || arg.startsWith(`${option}=`));
  return [
    ...args,
    ...(apiCall && !gives("--endpoint") ? ["--endpoint", endpoint] : []),
    ...(apiCall && !gives("--region") ? ["--region", region] : []),
  ];
}

/**
 * Variables that would make tccli or the provider sign with something else than tclocal's key pair
 * (temporary tokens, roles to assume, profiles, a TKE pod's identity): they are not passed on.
 */
const FOREIGN_CREDENTIALS =
  /^(TENCENTCLOUD_(TOKEN|SECURITY_TOKEN|ROLE_ARN|ROLE_SESSION_NAME|ASSUME_ROLE_\w+|MFA_CERTIFICATION_\w+|CAM_ROLE_NAME|PROFILE|SHARED_CREDENTIALS_DIR)|TKE_(REGION|PROVIDER_ID|WEB_IDENTITY_TOKEN_FILE|ROLE_ARN))$/;

/** The user's environment without FOREIGN_CREDENTIALS, with tclocal's key pair as the one both tools read. */
function signingEnvironment(env: NodeJS.ProcessEnv, target: Target): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) if (!FOREIGN_CREDENTIALS.test(name)) kept[name] = value;
  // In the environment, not as --secretKey: a command line can be read by every user of the machine.
  kept.TENCENTCLOUD_SECRET_ID = target.credentials.secretId;
  kept.TENCENTCLOUD_SECRET_KEY = target.credentials.secretKey;
  return kept;
}

/** tccli's environment: the key pair, and tclocal's host in NO_PROXY so that a proxy of the user's (which tccli's requests library would use) is bypassed. */
function tccliEnvironment(env: NodeJS.ProcessEnv, target: Target): NodeJS.ProcessEnv {
  const tool = signingEnvironment(env, target);
  const host = target.endpoint.hostname.replace(/^\[|\]$/g, "");
  const noProxy = (env.NO_PROXY || env.no_proxy || "").split(",").filter((entry) => entry.trim() !== "");
  if (!noProxy.some((entry) => entry.trim().toLowerCase() === host.toLowerCase())) noProxy.push(host);
  tool.NO_PROXY = tool.no_proxy = noProxy.join(",");
  return tool;
}

/**
 * terraform's environment, which the provider inherits: the provider's settings (the defaults of every
 * provider block that does not set them), and HTTP_PROXY to tclocal. With `protocol = "HTTP"` the provider
 * sends `POST http://cvm.tencentcloudapi.com/` through the proxy, with a Host that tclocal serves with no
 * --allowed-hosts; a `domain` of tclocal's would need DNS entries and --allowed-hosts. HTTPS_PROXY is the
 * user's: `terraform init` downloads providers over HTTPS. NO_PROXY loses the entries that would send
 * `*.tencentcloudapi.com` past the proxy, to the real service.
 */
function terraformEnvironment(env: NodeJS.ProcessEnv, target: Target): NodeJS.ProcessEnv {
  const tool = signingEnvironment(env, target);
  tool.TENCENTCLOUD_REGION = defaultRegion(env);
  tool.TENCENTCLOUD_PROTOCOL = "HTTP";
  tool.TENCENTCLOUD_DOMAIN = "tencentcloudapi.com";
  tool.HTTP_PROXY = tool.http_proxy = target.endpoint.origin;
  tool.NO_PROXY = tool.no_proxy = withoutTencentCloudApi(env.NO_PROXY || env.no_proxy || "");
  return tool;
}

/**
 * A NO_PROXY list without its entries that match `<service>.tencentcloudapi.com` as Go matches them: `*`,
 * a suffix domain (`tencentcloudapi.com`, `.com`, `*.tencentcloudapi.com`) or one service's host.
 */
export function withoutTencentCloudApi(noProxy: string): string {
  const domain = "tencentcloudapi.com";
  return noProxy
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => {
      const host = entry.toLowerCase().replace(/:\d+$/, "").replace(/^\*?\.?/, "");
      return entry !== "" && entry !== "*" && host !== domain && !domain.endsWith(`.${host}`) && !host.endsWith(`.${domain}`);
    })
    .join(",");
}

/** The directory terraform works in: the last `-chdir=DIR` among the options before the subcommand, as terraform reads it. */
export function terraformWorkingDirectory(args: readonly string[]): string {
  let dir = ".";
  for (const arg of args) {
    if (!arg.startsWith("-")) break;
    if (arg.startsWith("-chdir=")) dir = arg.slice("-chdir=".length);
  }
  return dir;
}

/**
 * Makes sure the override file can be written: undefined when it is absent, or when it was left behind by
 * a run that was killed (SIGKILL: no clean-up), which is then removed (it holds a SecretKey); else why not.
 */
function claimOverridePath(path: string): string | undefined {
  let existing: string;
  try {
    existing = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? undefined : `cannot read ${path}: ${code ?? (error as Error).message}`;
  }
  const writer = overrideWriterPid(existing);
  if (writer === undefined) {
    return `${path} exists and was not written by tclocal terraform, so it is left as it is. Rename or remove it, then run this again.`;
  }
  if (isRunning(writer)) return `${path} belongs to another tclocal terraform run (pid ${writer}), still running here. Let it end first.`;
  rmSync(path, { force: true });
  return undefined;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

interface Tool {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** What to say when the command is not on PATH. */
  notFound: string;
}

/**
 * Runs the tool with this terminal's stdin, stdout and stderr, and resolves with its exit code: 128 + the
 * signal's number when a signal ended it, 127 when it is not installed. SIGINT, SIGTERM and SIGHUP are
 * sent on to it, and this process waits for it to end (the override file is removed only then).
 * `prepare` runs first, once those signals are caught (uncaught, they would end this process at once and
 * leave the override file behind); it may return an exit code, and then the tool is not run.
 */
async function runTool(wrapper: string, tool: Tool, prepare: () => number | undefined = () => undefined): Promise<number> {
  // A Ctrl-C in a terminal reaches the whole foreground process group, the tool included; a second SIGINT
  // makes terraform quit at once ("Two interrupts received"), possibly losing its state. So SIGINT is sent
  // on only when no terminal can have sent it to the tool already.
  const forwardInterrupt = !isatty(0);
  let child: ChildProcess | undefined;
  const forward = (signal: NodeJS.Signals): void => {
    if (signal !== "SIGINT" || forwardInterrupt) child?.kill(signal);
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const signal of signals) process.on(signal, forward);
  try {
    const refused = prepare();
    if (refused !== undefined) return refused;
    // Signal listeners run from the event loop, so none runs before `child` is set.
    const started = spawn(tool.command, tool.args, { stdio: "inherit", env: tool.env });
    child = started;
    const outcome = await new Promise<{ error: NodeJS.ErrnoException } | { code: number | null; signal: NodeJS.Signals | null }>((settle) => {
      started.once("error", (error: NodeJS.ErrnoException) => settle({ error }));
      started.once("exit", (code, signal) => settle({ code, signal }));
    });
    if ("error" in outcome) {
      if (outcome.error.code === "ENOENT") {
        process.stderr.write(`${wrapper}: ${tool.notFound}\n`);
        return 127;
      }
      process.stderr.write(`${wrapper}: cannot run ${tool.command}: ${outcome.error.code ?? outcome.error.message}\n`);
      return 126;
    }
    if (outcome.code !== null) return outcome.code;
    return 128 + (outcome.signal === null ? 0 : osConstants.signals[outcome.signal]);
  } finally {
    for (const signal of signals) process.off(signal, forward);
  }
}
