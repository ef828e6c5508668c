// Every limit, enforced through the real server before any work, with its documented code: request sizes,
// head sizes, list lengths, string lengths, filter counts, the generic bounds on every string and list of
// every request, and clients that send too slowly or stall.
import { Server } from "node:http";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY } from "../../src/auth/keys.js";
import { cvm } from "../../src/products/cvm/index.js";
import type { FieldModel } from "../../src/protocol/model.js";
import { instanceActionRequest, networkOf, type InstanceNetwork } from "../helpers/instance-actions.js";
import { BASIC_RUN, describeOne, launchInstances } from "../helpers/instances.js";
import {
  codeOf,
  cvmClient,
  errorOf,
  okOf,
  rawRequest,
  Sign,
  signedTc3Request,
  signTc3Post,
  sleep,
  startTestServer,
  type CvmClientType,
  type RawResponse,
  type TestServer,
} from "../helpers/server.js";

const MiB = 1024 * 1024;

/** The code of an SDK call, or "Success". */
async function sdkCode(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "Success";
  } catch (error) {
    return (error as { code?: string }).code ?? `(no code: ${(error as Error).message})`;
  }
}

/** A signed v1 (HmacSHA256) form body or query for DescribeZones plus `params`. */
function v1Encoded(server: TestServer, params: Record<string, string>, method: "POST" | "GET" = "POST"): string {
  const all: Record<string, string> = {
    Action: "DescribeZones",
    Version: "2017-03-12",
    Region: "ap-guangzhou",
    SecretId: DEFAULT_SECRET_ID,
    Timestamp: String(Math.floor(Date.now() / 1000)),
    Nonce: "424242",
    SignatureMethod: "HmacSHA256",
    ...params,
  };
  const sorted = Object.entries(all).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signature = Sign.sign(DEFAULT_SECRET_KEY, `${method}127.0.0.1:${server.port}/?${sorted.map(([k, v]) => `${k}=${v}`).join("&")}`, "HmacSHA256");
  return [...sorted, ["Signature", signature]].map(([k, v]) => `${encodeURIComponent(k!)}=${encodeURIComponent(v!)}`).join("&");
}

function postForm(server: TestServer, body: string): Promise<RawResponse> {
  return rawRequest(server, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body });
}

// ---------------------------------------------------------------------------------------------------
// Raw sockets.

interface RawConnection {
  socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Bytes this side has written. */
  written(): number;
  write(data: string | Buffer): boolean;
  /** Resolves with the milliseconds from connect to close. */
  closed: Promise<number>;
  /** Resolves when the peer has ended its side. */
  ended: Promise<void>;
}

function openConnection(server: TestServer, options: { allowHalfOpen?: boolean } = {}): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port: server.port, allowHalfOpen: options.allowHalfOpen ?? false });
    let data = Buffer.alloc(0);
    let written = 0;
    let connectedAt = 0;
    socket.on("data", (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
    });
    socket.on("error", () => undefined);
    const closed = new Promise<number>((r) => socket.once("close", () => r(Date.now() - connectedAt)));
    const ended = new Promise<void>((r) => socket.once("end", () => r()));
    socket.once("connect", () => {
      connectedAt = Date.now();
      resolve({
        socket,
        received: () => data.toString("utf8"),
        written: () => written,
        write: (chunk) => {
          written += Buffer.byteLength(chunk);
          return socket.write(chunk);
        },
        closed,
        ended,
      });
    });
    socket.once("error", reject);
  });
}

interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  json: { Response: { Error?: { Code: string; Message: string }; RequestId: string } };
}

function parseHttpResponse(text: string): ParsedResponse {
  const split = text.indexOf("\r\n\r\n");
  if (split < 0) throw new Error(`no complete HTTP response in ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine, ...lines] = text.slice(0, split).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine!.split(" ")[1]), headers, json: JSON.parse(text.slice(split + 4)) as ParsedResponse["json"] };
}

/** Asserts a raw answer is the API's 200 JSON envelope with `code`, and returns its message. */
function expectEnvelope(text: string, code: string): string {
  const response = parseHttpResponse(text);
  expect(response.status).toBe(200);
  expect(response.headers["content-type"]).toBe("application/json");
  expect(response.json.Response.Error?.Code).toBe(code);
  expect(response.headers["x-tc-requestid"]).toBe(response.json.Response.RequestId);
  return response.json.Response.Error!.Message;
}

/** The open connections of the server listening on `port`, as its net.Server counts them. */
function serverConnections(port: number): Promise<number> {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  const server = handles.find((h): h is Server => h instanceof Server && (h.address() as { port?: number } | null)?.port === port);
  if (!server) throw new Error(`no HTTP server on port ${port}`);
  return new Promise((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await sleep(25);
  }
  return condition();
}

// ---------------------------------------------------------------------------------------------------
// Requests built from the model.

const model = cvm.model;
const IMPLEMENTED = Object.keys(cvm.handlers);

function sample(field: FieldModel, seen: readonly string[]): unknown {
  let value: unknown =
    field.type === "string" ? "x" : field.type === "number" ? 1 : field.type === "boolean" ? false : field.type === "any" ? null : skeleton(field.type, seen);
  for (let i = 0; i < (field.array ?? 0); i++) value = [value];
  return value;
}

/** A structure with only its required fields, each of the right type. */
function skeleton(type: string, seen: readonly string[] = []): Record<string, unknown> {
  if (seen.includes(type)) throw new Error(`required fields of ${type} are recursive`);
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(model.types[type] ?? {})) if (field.required) out[name] = sample(field, [...seen, type]);
  return out;
}

interface Target {
  /** The dotted path of the parameter, as the API names it. */
  path: string;
  /** A request with `value` at that path and every required field filled. */
  build: (value: unknown) => Record<string, unknown>;
}

/** Every string (kind "string") or list (kind "array") parameter reachable from a structure, with how to set it. */
function targets(type: string, kind: "string" | "array", seen: readonly string[] = []): Target[] {
  const out: Target[] = [];
  for (const [name, field] of Object.entries(model.types[type] ?? {})) {
    const depth = field.array ?? 0;
    const wrap = (v: unknown) => {
      for (let i = 0; i < depth; i++) v = [v];
      return v;
    };
    const base = () => skeleton(type);
    if (kind === "array" && depth > 0) out.push({ path: name, build: (value) => ({ ...base(), [name]: value }) });
    const itemPath = name + ".0".repeat(depth);
    if (kind === "string" && field.type === "string") out.push({ path: itemPath, build: (value) => ({ ...base(), [name]: wrap(value) }) });
    if (model.types[field.type] && !seen.includes(field.type)) {
      for (const inner of targets(field.type, kind, [...seen, type])) {
        out.push({ path: `${itemPath}.${inner.path}`, build: (value) => ({ ...base(), [name]: wrap(inner.build(value)) }) });
      }
    }
  }
  return out;
}

/** Elements for a list field: `count` of them, each valid. */
function listOf(action: string, path: string, count: number): unknown[] {
  let type = model.actions[action]!.request;
  let field: FieldModel | undefined;
  for (const segment of path.split(".").filter((s) => !/^\d+$/.test(s))) {
    field = model.types[type]![segment];
    type = field!.type;
  }
  const element = sample({ ...field!, array: (field!.array ?? 1) - 1 }, []);
  return Array.from({ length: count }, () => element);
}

// ---------------------------------------------------------------------------------------------------

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe("request size", () => {
  it("a TC3 JSON body of exactly 10 MiB is read and served; 10 MiB + 1 byte → RequestSizeLimitExceeded", async () => {
    const json = '{"Limit":1}';
    const exact = Buffer.alloc(10 * MiB, 0x20);
    exact.write(json);
    expect(okOf(await signedTc3Request(server, { action: "DescribeInstances", body: exact })).TotalCount).toBe(0);

    const over = Buffer.alloc(10 * MiB + 1, 0x20);
    over.write(json);
    const error = errorOf(await signedTc3Request(server, { action: "DescribeInstances", body: over }));
    expect(error.Code).toBe("RequestSizeLimitExceeded");
    expect(error.Message).toContain(String(10 * MiB));
  });

  it("a chunked TC3 body (no Content-Length) past 10 MiB → RequestSizeLimitExceeded", async () => {
    const body = Buffer.alloc(12 * MiB, 0x20);
    body.write('{"Limit":1}');
    const response = await rawRequest(server, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Transfer-Encoding": "chunked", "X-TC-Action": "DescribeInstances" },
      body,
    });
    expect(codeOf(response)).toBe("RequestSizeLimitExceeded");
  });

  it("a v1 form body of exactly 1 MiB is verified and validated; 1 MiB + 1 byte → RequestSizeLimitExceeded", async () => {
    /**
     * A signed form of exactly `size` bytes: the filler is a filter value, so it is signed like the rest. The
     * encoded signature is 2 bytes longer for each `+`, `/` or `=` it holds, so each attempt changes the
     * filler's first characters (a new signature) and corrects its length by what the last attempt missed.
     */
    const formOfSize = (size: number): string => {
      let fill = size - 400;
      for (let attempt = 0; attempt < 1000; attempt++) {
        const filler = attempt.toString(36).padStart(6, "0") + "a".repeat(fill - 6);
        const body = v1Encoded(server, { Action: "DescribeInstances", "Filters.0.Name": "instance-name", "Filters.0.Values.0": filler });
        if (body.length === size) return body;
        fill += size - body.length;
      }
      throw new Error(`no form of exactly ${size} bytes`);
    };
    const exact = formOfSize(MiB);
    expect(Buffer.byteLength(exact)).toBe(MiB);
    // Read, authenticated, then refused by the generic string bound: proof that the size was accepted.
    const accepted = errorOf(await postForm(server, exact));
    expect(accepted.Code).toBe("InvalidParameterValue");
    expect(accepted.Message).toBe("The parameter `Filters.0.Values.0` is longer than the limit of 65536 characters.");

    const over = formOfSize(MiB + 1);
    const refused = errorOf(await postForm(server, over));
    expect(refused.Code).toBe("RequestSizeLimitExceeded");
    expect(refused.Message).toContain(String(MiB));
  });

  it("a Content-Length announcing 50 MiB is refused at once, before the body is sent", async () => {
    const connection = await openConnection(server);
    connection.write(
      `POST / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\nX-TC-Action: DescribeZones\r\nContent-Length: ${50 * MiB}\r\n\r\n`,
    );
    connection.write(Buffer.alloc(64 * 1024, 0x20));
    // Answered and closed although 50 MiB minus 64 KiB are still to come (the request timeout here is 30 s).
    const closedAfter = await connection.closed;
    expect(closedAfter).toBeLessThan(5_000);
    const message = expectEnvelope(connection.received(), "RequestSizeLimitExceeded");
    expect(message).toContain(String(10 * MiB));
  });

  it("a client that keeps streaming a 50 MiB body is cut off long before it has sent it", async () => {
    const connection = await openConnection(server);
    connection.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\nContent-Length: ${50 * MiB}\r\n\r\n`);
    const chunk = Buffer.alloc(MiB, 0x20);
    let stopped = false;
    const pump = () => {
      while (!stopped && !connection.socket.destroyed && connection.written() < 50 * MiB) {
        if (!connection.write(chunk)) return void connection.socket.once("drain", pump);
      }
    };
    pump();
    await connection.closed;
    stopped = true;
    expect(connection.written()).toBeLessThan(50 * MiB);
  });
});

describe("request head size", () => {
  it("a 100 KB header → HTTP 200 with a RequestSizeLimitExceeded envelope, the connection closed, the server still serving", async () => {
    const connection = await openConnection(server);
    connection.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nX-Padding: ${"a".repeat(100 * 1024)}\r\nContent-Length: 0\r\n\r\n`);
    expect(await connection.closed).toBeLessThan(5_000);
    const message = expectEnvelope(connection.received(), "RequestSizeLimitExceeded");
    expect(message).toContain("65536");
    expect(parseHttpResponse(connection.received()).headers["connection"]).toBe("close");
    expect((await cvmClient(server).DescribeZones()).TotalCount).toBe(6);
  });

  it("a 70 KiB query string overflows the head → the same envelope", async () => {
    const connection = await openConnection(server);
    connection.write(`GET /?Action=DescribeZones&Pad=${"a".repeat(70 * 1024)} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`);
    await connection.closed;
    expectEnvelope(connection.received(), "RequestSizeLimitExceeded");
  });
});

describe("GET query size (32 KiB)", () => {
  const filterQuery = (valueLength: number) => `Filters.0.Name=instance-name&Filters.0.Values.0=${"a".repeat(valueLength)}`;

  it("a TC3 GET just under 32 KiB is served; over 32 KiB → RequestSizeLimitExceeded", async () => {
    const under = await signedTc3Request(server, { method: "GET", action: "DescribeInstances", query: filterQuery(31 * 1024) });
    expect(okOf(under).TotalCount).toBe(0);
    const over = errorOf(await signedTc3Request(server, { method: "GET", action: "DescribeInstances", query: filterQuery(33 * 1024) }));
    expect(over.Code).toBe("RequestSizeLimitExceeded");
    expect(over.Message).toContain(String(32 * 1024));
  });

  it("a v1 GET over 32 KiB → RequestSizeLimitExceeded", async () => {
    const query = v1Encoded(server, { Action: "DescribeInstances", "Filters.0.Name": "instance-name", "Filters.0.Values.0": "a".repeat(33 * 1024) }, "GET");
    expect(codeOf(await rawRequest(server, { method: "GET", target: `/?${query}` }))).toBe("RequestSizeLimitExceeded");
    const small = v1Encoded(server, { Action: "DescribeInstances" }, "GET");
    expect(okOf(await rawRequest(server, { method: "GET", target: `/?${small}` })).TotalCount).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------------

/** How many instances each batch action takes (API reference); 100 unless listed. */
const BATCH_MAX: Record<string, number> = { ModifyInstancesChargeType: 20, ResetInstancesType: 1 };

/** Implemented actions whose request has an InstanceIds list. */
const BATCH_ACTIONS = IMPLEMENTED.filter((action) => model.types[model.actions[action]!.request]?.["InstanceIds"]?.array === 1);

const fakeIds = (n: number) => Array.from({ length: n }, (_, i) => `ins-${i.toString(36).padStart(8, "0")}`);

describe("list lengths at the documented maxima", () => {
  let client: CvmClientType;
  let instanceId: string;
  let net: InstanceNetwork;
  let before: unknown;

  beforeAll(async () => {
    client = cvmClient(server);
    [instanceId] = (await launchInstances(server, client, { InstanceName: "bounded" })) as [string];
    net = networkOf(await describeOne(client, instanceId));
    before = await describeOne(client, instanceId);
  });

  it("covers every batch action", () => {
    expect(BATCH_ACTIONS.length).toBeGreaterThanOrEqual(18);
    for (const action of BATCH_ACTIONS) expect(() => instanceActionRequest(action, ["ins-00000000"], net), action).not.toThrow();
  });

  it("101 InstanceIds (one of them a real instance) → InvalidParameterValue.LimitExceeded on every batch action, and nothing changes", async () => {
    const ids = [instanceId, ...fakeIds(100)];
    for (const action of BATCH_ACTIONS) {
      const response = await signedTc3Request(server, { action, body: JSON.stringify(instanceActionRequest(action, ids, net)) });
      const error = errorOf(response);
      expect(error.Code, action).toBe("InvalidParameterValue.LimitExceeded");
      expect(error.Message, action).toContain("101");
    }
    expect(await describeOne(client, instanceId)).toEqual(before);
  });

  it("one over each action's own maximum → LimitExceeded; at the maximum the ids are looked up", async () => {
    for (const action of BATCH_ACTIONS) {
      const max = BATCH_MAX[action] ?? 100;
      const over = await signedTc3Request(server, { action, body: JSON.stringify(instanceActionRequest(action, fakeIds(max + 1), net)) });
      expect(codeOf(over), `${action} with ${max + 1}`).toBe("InvalidParameterValue.LimitExceeded");
      const at = await signedTc3Request(server, { action, body: JSON.stringify(instanceActionRequest(action, fakeIds(max), net)) });
      if (action === "DescribeInstances" || action === "DescribeInstancesStatus") expect(okOf(at).TotalCount, action).toBe(0);
      else expect(codeOf(at), `${action} with ${max}`).toBe("InvalidInstanceId.NotFound");
    }
    expect(await describeOne(client, instanceId)).toEqual(before);
  });

  it("DataDisks: 21 are fine (DryRun), 22 → InvalidParameterValue.LimitExceeded", async () => {
    const disks = (n: number) => Array.from({ length: n }, () => ({ DiskSize: 50 }));
    expect(await sdkCode(client.RunInstances({ ...BASIC_RUN, DataDisks: disks(21), DryRun: true }))).toBe("DryRunOperation");
    expect(await sdkCode(client.RunInstances({ ...BASIC_RUN, DataDisks: disks(22) }))).toBe("InvalidParameterValue.LimitExceeded");
  });

  it("Filters: 10 filters are fine, 11 → InvalidParameterValue.LimitExceeded; 5 values are fine, 6 → InvalidFilterValue.LimitExceeded", async () => {
    const ten = [
      { Name: "zone", Values: ["ap-guangzhou-3"] },
      { Name: "instance-charge-type", Values: ["POSTPAID_BY_HOUR"] },
      { Name: "instance-state", Values: ["RUNNING"] },
      { Name: "instance-name", Values: ["bounded"] },
      { Name: "project-id", Values: ["0"] },
      { Name: "tag-key", Values: ["k"] },
      { Name: "tag-value", Values: ["v"] },
      { Name: "tag:k", Values: ["v"] },
      { Name: "dedicated-cluster-id", Values: ["cluster"] },
      { Name: "creation-start-time", Values: ["2000-01-01 00:00:00"] },
    ];
    expect((await client.DescribeInstances({ Filters: ten })).TotalCount).toBe(0);
    expect((await client.DescribeInstances({ Filters: ten.filter((f) => !f.Name.startsWith("tag") && f.Name !== "dedicated-cluster-id") })).TotalCount).toBe(1);
    const eleven = [...ten, { Name: "creation-end-time", Values: ["2999-01-01 00:00:00"] }];
    expect(await sdkCode(client.DescribeInstances({ Filters: eleven }))).toBe("InvalidParameterValue.LimitExceeded");

    const values = (n: number) => Array.from({ length: n }, (_, i) => `name-${i}`);
    expect((await client.DescribeInstances({ Filters: [{ Name: "instance-name", Values: values(5) }] })).TotalCount).toBe(0);
    expect(await sdkCode(client.DescribeInstances({ Filters: [{ Name: "instance-name", Values: values(6) }] }))).toBe("InvalidFilterValue.LimitExceeded");
  });
});

describe("string lengths", () => {
  let client: CvmClientType;
  beforeAll(() => {
    client = cvmClient(server);
  });

  it("InstanceName: 128 characters are fine (DryRun), 129 → InvalidInstanceName.TooLong", async () => {
    expect(await sdkCode(client.RunInstances({ ...BASIC_RUN, InstanceName: "n".repeat(128), DryRun: true }))).toBe("DryRunOperation");
    expect(await sdkCode(client.RunInstances({ ...BASIC_RUN, InstanceName: "n".repeat(129) }))).toBe("InvalidInstanceName.TooLong");
  });

  it("ModifyInstancesAttribute InstanceName: 60 characters are fine, 61 → InvalidInstanceName.TooLong", async () => {
    const [id] = await launchInstances(server, client);
    expect(await sdkCode(client.ModifyInstancesAttribute({ InstanceIds: [id!], InstanceName: "m".repeat(61) }))).toBe("InvalidInstanceName.TooLong");
    expect(await sdkCode(client.ModifyInstancesAttribute({ InstanceIds: [id!], InstanceName: "m".repeat(60) }))).toBe("Success");
  });

  it("ClientToken: 64 characters are fine (DryRun), 65 → InvalidClientToken.TooLong", async () => {
    expect(await sdkCode(client.RunInstances({ ...BASIC_RUN, ClientToken: "t".repeat(64), DryRun: true }))).toBe("DryRunOperation");
    expect(await sdkCode(client.RunInstances({ ...BASIC_RUN, ClientToken: "t".repeat(65) }))).toBe("InvalidClientToken.TooLong");
  });

  it("a string of exactly 64 KiB passes the generic bound and meets the parameter's own rule", async () => {
    expect(await sdkCode(client.RunInstances({ ...BASIC_RUN, InstanceName: "n".repeat(65536) }))).toBe("InvalidInstanceName.TooLong");
    expect(await sdkCode(client.RunInstances({ ...BASIC_RUN, InstanceName: "n".repeat(65537) }))).toBe("InvalidParameterValue");
  });
});

describe("instance-name filter values are matched as text, whatever their length or characters", () => {
  let client: CvmClientType;
  let named: string;
  beforeAll(async () => {
    client = cvmClient(server);
    [named] = (await launchInstances(server, client, { InstanceName: "Sale 50%_off\\now" })) as [string];
  });
  const names = async (value: string) => {
    const answer = await client.DescribeInstances({ Filters: [{ Name: "instance-name", Values: [value] }] });
    return { total: answer.TotalCount, ids: (answer.InstanceSet ?? []).map((i) => i.InstanceId) };
  };

  // SQLite refuses LIKE patterns over 50,000 bytes; a value within the 64 KiB string bound must not reach one.
  it("values up to the 64 KiB bound (ASCII, wildcard characters, 3-byte and 4-byte UTF-8) → TotalCount 0, not InternalError", async () => {
    for (const unit of ["a", "%", "_", "\\", "名", "🙂"]) {
      const value = unit.repeat(Math.floor(65536 / unit.length));
      expect(await names(value), `${unit} × ${value.length}`).toEqual({ total: 0, ids: [] });
    }
  });

  it("%, _ and \\ in a value are literal characters, and ASCII case does not matter", async () => {
    expect(await names("50%_off\\")).toEqual({ total: 1, ids: [named] });
    expect(await names("sale 50")).toEqual({ total: 1, ids: [named] });
    expect(await names("5%")).toEqual({ total: 0, ids: [] });
    expect(await names("50__off")).toEqual({ total: 0, ids: [] });
  });
});

describe("generic bounds on every string and list of every implemented action", () => {
  const big = "s".repeat(200 * 1024);

  it("a 200 KB string in any string parameter → InvalidParameterValue naming it, never a crash", async () => {
    let checked = 0;
    for (const action of IMPLEMENTED) {
      for (const target of targets(model.actions[action]!.request, "string")) {
        const error = errorOf(await signedTc3Request(server, { action, body: JSON.stringify(target.build(big)) }));
        expect(error, `${action} ${target.path}`).toEqual({
          Code: "InvalidParameterValue",
          Message: `The parameter \`${target.path}\` is longer than the limit of 65536 characters.`,
        });
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(140);
    expect((await cvmClient(server).DescribeZones()).TotalCount).toBe(6);
  });

  it("1001 items in any list parameter → InvalidParameterValue naming it", async () => {
    let checked = 0;
    for (const action of IMPLEMENTED) {
      for (const target of targets(model.actions[action]!.request, "array")) {
        const body = JSON.stringify(target.build(listOf(action, target.path, 1001)));
        const error = errorOf(await signedTc3Request(server, { action, body }));
        expect(error, `${action} ${target.path}`).toEqual({
          Code: "InvalidParameterValue",
          Message: `The parameter \`${target.path}\` accepts at most 1000 items, but 1001 were given.`,
        });
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(50);
  });

  it("the same bounds hold for flattened parameters (v1 form)", async () => {
    const long = errorOf(await postForm(server, v1Encoded(server, { Action: "DescribeInstances", "Filters.0.Name": big, "Filters.0.Values.0": "x" })));
    expect(long).toEqual({ Code: "InvalidParameterValue", Message: "The parameter `Filters.0.Name` is longer than the limit of 65536 characters." });
    const many: Record<string, string> = { Action: "DescribeInstances" };
    for (let i = 0; i < 1001; i++) many[`InstanceIds.${i}`] = `ins-${i.toString(36).padStart(8, "0")}`;
    const list = errorOf(await postForm(server, v1Encoded(server, many)));
    expect(list).toEqual({ Code: "InvalidParameterValue", Message: "The parameter `InstanceIds` accepts at most 1000 items, but 1001 were given." });
  });

  it("a flattened parameter name nested thousands of levels deep → InvalidParameter, not InternalError", async () => {
    const deep = "Filters" + ".0".repeat(5000);
    const get = errorOf(await signedTc3Request(server, { method: "GET", action: "DescribeInstances", query: `${deep}=x` }));
    expect(get.Code).toBe("InvalidParameter");
    expect(get.Message).toContain("5001 levels deep");
    const form = errorOf(await postForm(server, v1Encoded(server, { Action: "DescribeInstances", [`Filters${".a".repeat(20000)}`]: "x" })));
    expect(form.Code).toBe("InvalidParameter");
  });

  it("a JSON body nested a million levels deep is refused as a parameter error", async () => {
    const depth = 1_000_000;
    const body = `{"Filters":${"[".repeat(depth)}${"]".repeat(depth)}}`;
    const error = errorOf(await signedTc3Request(server, { action: "DescribeInstances", body }));
    expect(error.Code).toBe("InvalidParameter");
    expect(error.Message).toContain("`Filters.0`");
  });
});

// ---------------------------------------------------------------------------------------------------

describe("slow and stalled clients (request timeout 500 ms)", () => {
  const TIMEOUT_MS = 500;
  let slow: TestServer;
  beforeAll(async () => {
    slow = await startTestServer({ requestTimeoutMs: TIMEOUT_MS });
  });
  afterAll(() => slow.close());

  const head = (port: number) => `POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n`;

  /** A served request that does not keep its connection open afterwards. */
  async function served(): Promise<void> {
    const response = await signedTc3Request(slow, { action: "DescribeZones", headers: { Connection: "close" } });
    expect(okOf(response).TotalCount).toBe(6);
  }

  /** Whether a connection has closed yet. */
  function tracker(connection: RawConnection): () => boolean {
    let closed = false;
    void connection.closed.then(() => (closed = true));
    return () => closed;
  }

  it("half a request head, then nothing: dropped after the timeout with an envelope saying so; others are served meanwhile", async () => {
    const connection = await openConnection(slow);
    const isClosed = tracker(connection);
    connection.write(head(slow.port) + "X-TC-Action: Descr");
    await sleep(100);
    await served();
    expect(isClosed()).toBe(false);
    const closedAfter = await connection.closed;
    expect(closedAfter).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(closedAfter).toBeLessThan(TIMEOUT_MS + 2_500);
    const message = expectEnvelope(connection.received(), "InvalidRequest");
    expect(message).toBe(`The request was not received in full within ${TIMEOUT_MS} ms.`);
  });

  it("headers, then a body byte every 100 ms (never idle as long as the timeout): dropped after the timeout", async () => {
    const connection = await openConnection(slow);
    const isClosed = tracker(connection);
    const requestHead = `${head(slow.port)}X-TC-Action: DescribeZones\r\nContent-Length: 100\r\n\r\n`;
    connection.write(requestHead);
    const timer = setInterval(() => connection.write("{"), 100);
    try {
      await sleep(150);
      await served();
      expect(isClosed()).toBe(false);
      const closedAfter = await connection.closed;
      expect(closedAfter).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      expect(closedAfter).toBeLessThan(TIMEOUT_MS + 2_500);
      // Dropped for being slow: the 100-byte body was never complete.
      expect(connection.written()).toBeLessThan(requestHead.length + 100);
      expectEnvelope(connection.received(), "InvalidRequest");
    } finally {
      clearInterval(timer);
    }
  });

  it("a connection that sends nothing at all is dropped too", async () => {
    const connection = await openConnection(slow);
    const closedAfter = await connection.closed;
    expect(closedAfter).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(closedAfter).toBeLessThan(TIMEOUT_MS + 2_500);
  });

  it("a request that arrives in pieces but within the timeout is served normally", async () => {
    const connection = await openConnection(slow);
    const body = "{}";
    const timestamp = Math.floor(Date.now() / 1000);
    const signed = signTc3Post(slow, body, timestamp);
    const rest = `X-TC-Action: DescribeZones\r\nX-TC-Version: 2017-03-12\r\nX-TC-Region: ap-guangzhou\r\nX-TC-Timestamp: ${timestamp}\r\nAuthorization: ${signed}\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`;
    connection.write(head(slow.port));
    await sleep(100);
    connection.write(rest);
    await sleep(100);
    connection.write(body);
    await connection.closed;
    const response = parseHttpResponse(connection.received());
    expect(response.status).toBe(200);
    expect(response.json.Response.Error).toBeUndefined();
  });

  it("200 stalled sockets are all closed after the timeout and the server releases every one of them", async () => {
    await waitFor(async () => (await serverConnections(slow.port)) === 0, 3_000);
    const baseline = await serverConnections(slow.port);
    const connections = await Promise.all(Array.from({ length: 200 }, () => openConnection(slow)));
    connections.forEach((c, i) => c.write(head(slow.port) + `X-Stalled: ${i}`));
    const closed = connections.map(tracker);
    expect(await waitFor(async () => (await serverConnections(slow.port)) >= baseline + 200, 2_000)).toBe(true);
    await served();
    expect(closed.filter((isClosed) => !isClosed()).length).toBeGreaterThan(0);

    const closedAfter = await Promise.all(connections.map((c) => c.closed));
    expect(Math.min(...closedAfter)).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(Math.max(...closedAfter)).toBeLessThan(TIMEOUT_MS + 5_000);
    expect(await waitFor(async () => (await serverConnections(slow.port)) <= baseline, 2_000)).toBe(true);
    await served();
  });

  it("stalled clients that never close their side are released by the server all the same", async () => {
    await waitFor(async () => (await serverConnections(slow.port)) === 0, 3_000);
    const baseline = await serverConnections(slow.port);
    const connections = await Promise.all(Array.from({ length: 50 }, () => openConnection(slow, { allowHalfOpen: true })));
    try {
      connections.forEach((c) => c.write(head(slow.port)));
      expect(await waitFor(async () => (await serverConnections(slow.port)) >= baseline + 50, 2_000)).toBe(true);
      await Promise.all(connections.map((c) => c.ended));
      // The clients keep their side open; the server must not wait for them.
      expect(await waitFor(async () => (await serverConnections(slow.port)) <= baseline, 5_000)).toBe(true);
      expect(connections.every((c) => !c.socket.destroyed)).toBe(true);
    } finally {
      for (const c of connections) c.socket.destroy();
    }
  });
});
