// Error messages in both languages, through the real server and the official Node SDK: under zh-CN (what
// the SDKs and tccli send by default) every protocol, validation, authentication and catalog error is
// Chinese and still names the parameter and the value at fault, as the English message does.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cvmClient, errorOf, rawRequest, sdkError, signedTc3Request, startTestServer, type ClientOptions, type CvmClientType, type SdkError, type TestServer } from "../helpers/server.js";

const CJK_RE = /[\u4e00-\u9fff]/;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** The same failing call in Chinese and in English; both must fail with `code`. */
async function inBothLanguages(code: string, call: (client: CvmClientType) => Promise<unknown>, options: ClientOptions = {}): Promise<{ zh: string; en: string }> {
  const zh: SdkError = await sdkError(call(cvmClient(server, { ...options, language: "zh-CN" })));
  const en: SdkError = await sdkError(call(cvmClient(server, { ...options, language: "en-US" })));
  expect(zh.code).toBe(code);
  expect(en.code).toBe(code);
  expect(zh.message).toMatch(CJK_RE);
  expect(en.message).not.toMatch(CJK_RE);
  return { zh: zh.message, en: en.message };
}

/** Both messages contain every one of `parts` (parameter names, offending values). */
function expectBothName(messages: { zh: string; en: string }, ...parts: string[]): void {
  for (const part of parts) {
    expect(messages.zh).toContain(part);
    expect(messages.en).toContain(part);
  }
}

describe("validation errors", () => {
  it("MissingParameter names the missing field", async () => {
    const m = await inBothLanguages("MissingParameter", (c) => c.request("DescribeInstances", { Filters: [{ Name: "zone" }] }));
    expectBothName(m, "`Filters.0.Values`");
    expect(m.zh).toBe("缺少必需参数`Filters.0.Values`。");
  });

  it("UnknownParameter names the unknown field", async () => {
    const m = await inBothLanguages("UnknownParameter", (c) => c.request("DescribeInstances", { Bogus: "x" }));
    expectBothName(m, "`Bogus`");
    expect(m.zh).toContain("未定义");
  });

  it("InvalidParameter (wrong type) names the field, the expected type and the type given", async () => {
    const m = await inBothLanguages("InvalidParameter", (c) => c.request("DescribeInstances", { Limit: "ten" }));
    expectBothName(m, "`Limit`", "number", "string");
    expect(m.zh).toContain("类型错误");
  });

  it("InvalidParameterValue names Limit, the value and the range", async () => {
    const m = await inBothLanguages("InvalidParameterValue", (c) => c.DescribeInstances({ Limit: 101 }));
    expectBothName(m, "`Limit`", "101", "100");
    expect(m.zh).toContain("取值错误");
  });

  it("InvalidFilter on DescribeInstances names the filter, where it is and the valid names", async () => {
    const m = await inBothLanguages("InvalidFilter", (c) => c.DescribeInstances({ Filters: [{ Name: "zone", Values: ["ap-guangzhou-3"] }, { Name: "colour", Values: ["blue"] }] }));
    expectBothName(m, "`colour`", "`Filters.1.Name`", "instance-id", "zone");
    expect(m.zh).toContain("不受支持");
  });

  it("InvalidFilterValue.LimitExceeded names the values list, the limit and the count", async () => {
    const m = await inBothLanguages("InvalidFilterValue.LimitExceeded", (c) =>
      c.DescribeInstances({ Filters: [{ Name: "instance-name", Values: ["a", "b", "c", "d", "e", "f"] }] }),
    );
    expectBothName(m, "`Filters.0.Values`", "5", "6");
    expect(m.zh).toBe("参数`Filters.0.Values`最多包含 5 个取值，实际传入 6 个。");
  });
});

describe("catalog errors", () => {
  it("DescribeImages: a malformed image id", async () => {
    const m = await inBothLanguages("InvalidImageId.Malformed", (c) => c.DescribeImages({ ImageIds: ["img-9qabwvbn", "img-ABC"] }));
    expectBothName(m, "`img-ABC`", "`ImageIds.1`", "img-");
    expect(m.zh).toContain("格式错误");
  });

  it("DescribeImages: an unknown filter", async () => {
    const m = await inBothLanguages("InvalidFilter", (c) => c.DescribeImages({ Filters: [{ Name: "image-colour", Values: ["x"] }] }));
    expectBothName(m, "`image-colour`", "`Filters.0.Name`", "image-id");
  });

  it("DescribeZoneInstanceConfigInfos: a zone of another region", async () => {
    const m = await inBothLanguages("InvalidZone.MismatchRegion", (c) =>
      c.DescribeZoneInstanceConfigInfos({ Filters: [{ Name: "zone", Values: ["ap-shanghai-2"] }] }),
    );
    expectBothName(m, "`ap-shanghai-2`", "`Filters.0.Values.0`", "ap-guangzhou");
    expect(m.zh).toContain("不属于地域");
  });

  it("DescribeZoneInstanceConfigInfos: a bad sort key", async () => {
    const m = await inBothLanguages("InvalidParameterValue", (c) =>
      c.DescribeZoneInstanceConfigInfos({ Filters: [{ Name: "sort-keys", Values: ["gpu:up"] }] }),
    );
    expectBothName(m, "`gpu:up`", "`Filters.0.Values.0`", "cpu:desc");
  });
});

describe("protocol errors", () => {
  it("UnsupportedRegion names the region", async () => {
    const m = await inBothLanguages("UnsupportedRegion", (c) => c.DescribeZones(), { region: "mars-central-1" });
    expectBothName(m, "`mars-central-1`", "DescribeZones", "DescribeRegions");
    expect(m.zh).toContain("不支持地域");
  });

  it("InvalidAction names the action and the version", async () => {
    const m = await inBothLanguages("InvalidAction", (c) => c.request("DescribeUnicorns", {}));
    expectBothName(m, "`DescribeUnicorns`", "2017-03-12");
    expect(m.zh).toContain("不存在");
  });

  it("NoSuchVersion names the version and the versions served", async () => {
    const send = (language: string) => signedTc3Request(server, { action: "DescribeZones", version: "2099-01-01", headers: { "X-TC-Language": language } });
    const zh = errorOf(await send("zh-CN"));
    const en = errorOf(await send("en-US"));
    expect(zh.Code).toBe("NoSuchVersion");
    expect(en.Code).toBe("NoSuchVersion");
    expect(zh.Message).toMatch(CJK_RE);
    expectBothName({ zh: zh.Message, en: en.Message }, "`2099-01-01`", "cvm 2017-03-12");
  });

  it("RequestSizeLimitExceeded names the limit, in Chinese too", async () => {
    const send = (language: string) =>
      rawRequest(server, { method: "GET", target: `/?Action=DescribeZones&Pad=${"x".repeat(33 * 1024)}`, headers: { "X-TC-Language": language } });
    const zh = errorOf(await send("zh-CN"));
    const en = errorOf(await send("en-US"));
    expect(zh.Code).toBe("RequestSizeLimitExceeded");
    expect(en.Code).toBe("RequestSizeLimitExceeded");
    expect(zh.Message).toMatch(CJK_RE);
    expectBothName({ zh: zh.Message, en: en.Message }, "GET", "32768");
  });
});

describe("authentication errors", () => {
  it("SignatureFailure (TC3, wrong SecretKey): the zh message shows the canonical request and the string to sign", async () => {
    const m = await inBothLanguages("AuthFailure.SignatureFailure", (c) => c.DescribeZones(), { secretKey: "wrongWrongWrongWrongWrongWrong00" });
    expectBothName(m, "TC3-HMAC-SHA256", "content-type;host", `\nhost:127.0.0.1:${server.port}\n`, "/127/tc3_request");
    expect(m.zh).toContain("服务器计算的规范请求串为：\nPOST\n/\n");
    expect(m.zh).toContain("服务器计算的待签名字符串为：\nTC3-HMAC-SHA256\n");
    expect(m.en).toContain("The server's canonical request was:");
    expect(m.en).toContain("The server's string to sign was:");
    expect(m.zh).not.toContain("wrongWrong");
  });

  it("SignatureFailure (v1 HmacSHA256 GET, wrong SecretKey): the zh message shows the string to sign", async () => {
    const m = await inBothLanguages("AuthFailure.SignatureFailure", (c) => c.DescribeZones(), {
      secretKey: "wrongWrongWrongWrongWrongWrong00",
      signMethod: "HmacSHA256",
      reqMethod: "GET",
    });
    expectBothName(m, `GET127.0.0.1:${server.port}/?Action=DescribeZones&`);
    expect(m.zh).toContain("服务器计算的待签名字符串为：\nGET127.0.0.1");
    expect(m.zh).toContain("签名方法 v1");
  });

  it("v1 HmacSHA256 GET: a parameter error speaks Chinese with Language=zh-CN", async () => {
    const m = await inBothLanguages("InvalidParameterValue", (c) => c.DescribeInstances({ Offset: -1 }), { signMethod: "HmacSHA256", reqMethod: "GET" });
    expectBothName(m, "`Offset`", "-1", "0");
    expect(m.zh).toBe("参数`Offset`取值错误，应为大于等于 0 的整数，实际传入 -1。");
  });

  it("SecretIdNotFound names the SecretId", async () => {
    const secretId = "AKIDnoSuchKeyNoSuchKey000000";
    const m = await inBothLanguages("AuthFailure.SecretIdNotFound", (c) => c.DescribeZones(), { secretId });
    expectBothName(m, `\`${secretId}\``);
    expect(m.zh).toContain("密钥不存在");
  });

  it("SignatureExpire names the timestamp, the server time and the window", async () => {
    const timestamp = Math.floor(Date.now() / 1000) - 3600;
    const send = (language: string) => signedTc3Request(server, { action: "DescribeZones", timestamp, headers: { "X-TC-Language": language } });
    const zh = errorOf(await send("zh-CN"));
    const en = errorOf(await send("en-US"));
    expect(zh.Code).toBe("AuthFailure.SignatureExpire");
    expect(en.Code).toBe("AuthFailure.SignatureExpire");
    expect(zh.Message).toMatch(CJK_RE);
    expectBothName({ zh: zh.Message, en: en.Message }, String(timestamp), "300");
    expect(zh.Message).toContain("`X-TC-Timestamp`");
    expect(zh.Message).toMatch(/慢 (3599|3600|3601) 秒/);
  });

  it("InvalidAuthorization names what was sent", async () => {
    const send = (language: string) =>
      signedTc3Request(server, { action: "DescribeZones", headers: { Authorization: "TC3-HMAC-SHA256 garbage", "X-TC-Language": language } });
    const zh = errorOf(await send("zh-CN"));
    const en = errorOf(await send("en-US"));
    expect(zh.Code).toBe("AuthFailure.InvalidAuthorization");
    expect(zh.Message).toMatch(CJK_RE);
    expectBothName({ zh: zh.Message, en: en.Message }, "`TC3-HMAC-SHA256 garbage`", "Credential=<SecretId>");
  });
});
