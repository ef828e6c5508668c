// The pure parts of `tclocal tccli` and `tclocal terraform`: which provider blocks a configuration has, the
// HCL strings of the override file, the NO_PROXY filter, and the arguments given to tccli and terraform.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hclString, overrideContent, overrideWriterPid, tencentcloudProviderBlocks, tencentcloudProvidersInHcl, tencentcloudProvidersInJson } from "../../src/terraform-override.js";
import { tccliArguments, terraformWorkingDirectory, withoutTencentCloudApi } from "../../src/wrappers.js";

describe("provider \"tencentcloud\" blocks of a .tf file", () => {
  it("finds the default block and each alias, quoted or bare label, one-line or not", () => {
    const text = `
provider "tencentcloud" {
  region = "ap-guangzhou"
}
provider "tencentcloud" {
  alias  = "shanghai"
  region = "ap-shanghai"
}
provider tencentcloud { alias = "beijing" }
provider "tencentcloud" {
  alias="tokyo"
  assume_role {
    role_arn = "qcs::cam::uin/1:roleName/x"
  }
}
`;
    expect(tencentcloudProvidersInHcl(text)).toEqual(["", "shanghai", "beijing", "tokyo"]);
  });

  it("ignores other providers, other blocks, and nested `alias` attributes", () => {
    const text = `
provider "aws" {
  alias = "east"
}
module "network" {
  source = "./network"
  providers = {
    tencentcloud = tencentcloud.shanghai
  }
}
resource "tencentcloud_instance" "web" {
  provider = tencentcloud.shanghai
  tags = {
    alias = "not-a-provider"
  }
}
provider "tencentcloud" {
  region = "ap-guangzhou"
  settings = { alias = "nested" }
}
`;
    expect(tencentcloudProvidersInHcl(text)).toEqual([""]);
  });

  it("takes nothing from comments, strings, templates or heredocs", () => {
    const text = `
# provider "tencentcloud" { alias = "hash-comment" }
// provider "tencentcloud" { alias = "slash-comment" }
/* provider "tencentcloud" {
  alias = "block-comment"
} */
locals {
  text     = "provider \\"tencentcloud\\" { alias = \\"in-a-string\\" } }"
  template = "\${jsonencode({ a = "}" })} provider \\"tencentcloud\\" {"
  literal  = "$\${ { provider"
  script   = <<-EOT
    provider "tencentcloud" {
      alias = "in-a-heredoc"
    }
  EOT
}
provider "tencentcloud" {
  alias = "real" # the only one
}
`;
    expect(tencentcloudProvidersInHcl(text)).toEqual(["real"]);
  });

  it("does not take a comparison for an alias", () => {
    expect(tencentcloudProvidersInHcl('provider "tencentcloud" {\n  region = var.x == "y" ? "a" : "b"\n}\n')).toEqual([""]);
  });
});

describe("provider \"tencentcloud\" blocks of a .tf.json file", () => {
  it("reads the object and the array forms, and nothing from a file that is not JSON", () => {
    expect(tencentcloudProvidersInJson('{"provider": {"tencentcloud": {"region": "ap-guangzhou"}}}')).toEqual([""]);
    expect(tencentcloudProvidersInJson('{"provider": {"tencentcloud": [{"region": "ap-guangzhou"}, {"alias": "shanghai"}], "aws": {"alias": "x"}}}')).toEqual(["", "shanghai"]);
    expect(tencentcloudProvidersInJson('{"resource": {}}')).toEqual([]);
    expect(tencentcloudProvidersInJson("{ not json")).toEqual([]);
  });
});

describe("provider blocks of a configuration directory", () => {
  const dir = mkdtempSync(join(tmpdir(), "tclocal-providers-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads the primary .tf and .tf.json files, in name order, without duplicates; not override files, hidden files or backups", () => {
    const files: Record<string, string> = {
      "b.tf": 'provider "tencentcloud" {\n  alias = "shanghai"\n}\n',
      "a.tf": 'provider "tencentcloud" {}\nprovider "tencentcloud" {\n  alias = "shanghai"\n}\n',
      "c.tf.json": '{"provider": {"tencentcloud": {"alias": "beijing"}}}',
      "override.tf": 'provider "tencentcloud" {\n  alias = "from-override"\n}\n',
      "x_override.tf.json": '{"provider": {"tencentcloud": {"alias": "from-json-override"}}}',
      ".hidden.tf": 'provider "tencentcloud" {\n  alias = "hidden"\n}\n',
      "main.tf~": 'provider "tencentcloud" {\n  alias = "backup"\n}\n',
      "notes.txt": 'provider "tencentcloud" {\n  alias = "text"\n}\n',
    };
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    mkdirSync(join(dir, "modules"));
    writeFileSync(join(dir, "modules", "m.tf"), 'provider "tencentcloud" {\n  alias = "in-a-module"\n}\n');
    expect(tencentcloudProviderBlocks(dir)).toEqual(["", "shanghai", "beijing"]);
    expect(tencentcloudProviderBlocks(join(dir, "missing"))).toEqual([]);
  });
});

describe("the override file", () => {
  it("writes HCL strings whose value is exactly the text: escapes, and no template sequences", () => {
    expect(hclString("plain")).toBe('"plain"');
    expect(hclString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(hclString("${var.x} and %{ if true }")).toBe('"$${var.x} and %%{ if true }"');
    expect(hclString("$ {} % $$")).toBe('"$ {} % $$"');
    expect(hclString("line\nfeed\ttab\r\u0001\u007f")).toBe('"line\\nfeed\\ttab\\r\\u0001\\u007f"');
    expect(hclString("密钥é")).toBe('"密钥é"');
  });

  it("names its writer's pid in its first line, which tells it from a file of the user's", () => {
    const content = overrideContent(["", "shanghai"], { secretId: "AKIDx", secretKey: "k" }, 4242);
    expect(overrideWriterPid(content)).toBe(4242);
    expect(overrideWriterPid('provider "tencentcloud" {}\n')).toBeUndefined();
    expect(overrideWriterPid(`# my notes\n${content}`)).toBeUndefined();
    expect(content.split("\n").filter((line) => line.startsWith("provider "))).toHaveLength(2);
  });
});

describe("NO_PROXY for terraform", () => {
  it("drops the entries that would send <service>.tencentcloudapi.com past the proxy, as Go matches them", () => {
    expect(withoutTencentCloudApi("")).toBe("");
    expect(withoutTencentCloudApi("localhost, 10.0.0.0/8 ,corp.example")).toBe("localhost,10.0.0.0/8,corp.example");
    expect(withoutTencentCloudApi("*,tencentcloudapi.com,.tencentcloudapi.com,*.tencentcloudapi.com,TENCENTCLOUDAPI.COM")).toBe("");
    expect(withoutTencentCloudApi("cvm.tencentcloudapi.com,vpc.tencentcloudapi.com:80,com,.com,example.com")).toBe("example.com");
    expect(withoutTencentCloudApi("notencentcloudapi.com,tencentcloudapi.com.cn")).toBe("notencentcloudapi.com,tencentcloudapi.com.cn");
  });
});

describe("arguments", () => {
  it("tccli: --endpoint and --region go after an API call's arguments, unless given (either form)", () => {
    const endpoint = "http://127.0.0.1:4577";
    expect(tccliArguments(["cvm", "DescribeZones"], endpoint, "ap-guangzhou")).toEqual(["cvm", "DescribeZones", "--endpoint", endpoint, "--region", "ap-guangzhou"]);
    expect(tccliArguments(["cvm", "RunInstances", "--cli-unfold-argument", "--Placement.Zone", "ap-guangzhou-3"], endpoint, "r")).toEqual([
      "cvm", "RunInstances", "--cli-unfold-argument", "--Placement.Zone", "ap-guangzhou-3", "--endpoint", endpoint, "--region", "r",
    ]);
    expect(tccliArguments(["cvm", "DescribeZones", "--region", "ap-shanghai"], endpoint, "r")).toEqual(["cvm", "DescribeZones", "--region", "ap-shanghai", "--endpoint", endpoint]);
    expect(tccliArguments(["cvm", "DescribeZones", "--endpoint=http://x:1"], endpoint, "r")).toEqual(["cvm", "DescribeZones", "--endpoint=http://x:1", "--region", "r"]);
    for (const own of [["configure", "set", "region", "x"], ["help"], ["cvm", "help"], ["auth", "login"], ["--version"], []]) {
      expect(tccliArguments(own, endpoint, "r")).toEqual(own);
    }
  });

  it("terraform: the working directory is the last -chdir=DIR before the subcommand", () => {
    expect(terraformWorkingDirectory(["plan"])).toBe(".");
    expect(terraformWorkingDirectory(["-chdir=infra", "plan"])).toBe("infra");
    expect(terraformWorkingDirectory(["-chdir=a", "-chdir=b", "plan"])).toBe("b");
    // After the subcommand it is the subcommand's (terraform refuses it), and without `=` terraform refuses it too.
    expect(terraformWorkingDirectory(["plan", "-chdir=infra"])).toBe(".");
    expect(terraformWorkingDirectory(["-chdir", "infra", "plan"])).toBe(".");
  });
});
