// `tclocal terraform` with the real terraform binary: the override file it writes is formatted as
// `terraform fmt` formats it, Terraform parses it and merges each of its blocks into a provider block of the
// configuration (an alias it does not define is an error), and its strings keep a SecretKey's every
// character. Run it where terraform is installed:
//
//   npx tsx test/wrappers/real-terraform.ts
//
// It is not part of `npm test`, which must pass where terraform is not installed (test/e2e/wrappers.test.ts
// runs the wrapper with a stand-in there). .ci/run runs it: the CI machines have Terraform 1.11, though
// not its Tencent Cloud provider, which cannot be downloaded there. Without terraform this fails (exit 1).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { hclString } from "../../src/terraform-override.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "..", "..", "..");
/** Every character an HCL string must escape, a template sequence of each kind, and some that must not be escaped. */
const AWKWARD_SECRET_KEY = 'q"uote\\back${var.x}%{ if true }tab\tnl\né密钥\u0001';

/** A root module with a default block, an alias in a .tf file and another in a .tf.json file. */
const FILES: Record<string, string> = {
  "main.tf": `terraform {
  required_providers {
    tencentcloud = {
      source = "tencentcloudstack/tencentcloud"
    }
  }
}

provider "tencentcloud" {
  region   = "ap-guangzhou"
  protocol = "HTTPS"
}

provider "tencentcloud" {
  alias  = "shanghai"
  region = "ap-shanghai"
}
`,
  "beijing.tf.json": JSON.stringify({ provider: { tencentcloud: { alias: "beijing", region: "ap-beijing" } } }),
};

let failures = 0;
function check(what: string, ok: boolean, detail: string): void {
  process.stdout.write(`${ok ? "ok  " : "FAIL"} ${what}\n`);
  if (!ok) {
    failures++;
    process.stdout.write(`${detail.trim().replace(/^/gm, "     ")}\n`);
  }
}

function run(command: string, args: string[], options: { cwd: string; input?: string; env?: NodeJS.ProcessEnv }): { status: number | null; output: string } {
  const ran = spawnSync(command, args, { cwd: options.cwd, input: options.input ?? "", encoding: "utf8", env: { ...process.env, TF_IN_AUTOMATION: "1", ...options.env } });
  return { status: ran.status, output: `${ran.error ? `${ran.error.message}\n` : ""}${ran.stdout}${ran.stderr}` };
}

const version = run("terraform", ["version"], { cwd: ROOT });
if (version.status !== 0) {
  process.stderr.write(`real-terraform: terraform is needed and cannot be run here:\n${version.output}\n`);
  process.exit(1);
}
process.stdout.write(`${version.output.split("\n")[0]}\n`);

const dir = mkdtempSync(join(tmpdir(), "tclocal-real-terraform-"));
try {
  for (const [name, content] of Object.entries(FILES)) writeFileSync(join(dir, name), content);
  const wrapper = (args: string[]) =>
    run(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli.ts"), "terraform", ...args], { cwd: ROOT, env: { TCLOCAL_SECRET_KEY: AWKWARD_SECRET_KEY } });

  // Named explicitly, so that fmt fails if the file is not there.
  const fmt = wrapper([`-chdir=${dir}`, "fmt", "-check", "-diff", "tclocal_providers_override.tf"]);
  check("terraform fmt -check finds the override file formatted as terraform formats it", fmt.status === 0, fmt.output);

  const providers = wrapper([`-chdir=${dir}`, "providers", "-no-color"]);
  check(
    "terraform providers parses the configuration with the override merged into its three provider blocks",
    providers.status === 0 && providers.output.includes("tencentcloudstack/tencentcloud"),
    providers.output,
  );

  check("no override file is left in the directory", readdirSync(dir).sort().join(",") === "beijing.tf.json,main.tf", readdirSync(dir).join(", "));

  // The override's strings are written by hclString: Terraform must read back exactly the SecretKey.
  const strings = mkdtempSync(join(tmpdir(), "tclocal-real-terraform-strings-"));
  try {
    writeFileSync(join(strings, "main.tf"), `locals {\n  secret_key = ${hclString(AWKWARD_SECRET_KEY)}\n}\n`);
    const read = run("terraform", ["console"], { cwd: strings, input: "base64encode(local.secret_key)\n" });
    const expected = `"${Buffer.from(AWKWARD_SECRET_KEY, "utf8").toString("base64")}"`;
    check("terraform reads an HCL string of hclString as exactly the text it was made from", read.status === 0 && read.output.includes(expected), `${read.output}\nexpected ${expected}`);
  } finally {
    rmSync(strings, { recursive: true, force: true });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (failures > 0) {
  process.stdout.write(`${failures} check(s) failed\n`);
  process.exit(1);
}
process.stdout.write("all checks passed\n");
