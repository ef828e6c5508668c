// The signature vectors of shared/docs/protocol.md §9, copied here as data, checked against
// src/protocol/tc3.ts (TC3-HMAC-SHA256) and src/protocol/v1.ts (HmacSHA1 / HmacSHA256).
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  parseTc3Authorization,
  sha256Hex,
  signaturesEqual,
  tc3CanonicalRequest,
  tc3Compute,
  tc3SigningKey,
  verifyTc3,
  type Tc3SigningInput,
} from "../../src/protocol/tc3.js";
import { v1Method, v1Sign, v1StringToSign, verifyV1 } from "../../src/protocol/v1.js";
import { decodeForm } from "../../src/gateway/shape.js";

// ---------------------------------------------------------------------------------------------
// Vectors (protocol.md §9)
// ---------------------------------------------------------------------------------------------

/** Fixed inputs of T1–T5 and V1–V2. */
const EMU = {
  secretId: "AKIDEMULATOREXAMPLE0000000000000000",
  secretKey: "emulatorSecretKeyEXAMPLE0000000000",
  timestamp: "1700000000",
  date: "2023-11-14",
} as const;

/** The official documentation key (the asterisks are literal). */
const DOC_SECRET_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******";
const DOC_SECRET_KEY = "Gu5t9xGARNpq86cd98joQYCN3*******";

const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const UNSIGNED_PAYLOAD_SHA256 = "438d4109ef0d676b8c2c7ed13cdfcb418e494d53b843d4634ce3b1085f07bb96";

interface Tc3Vector {
  name: string;
  secretKey: string;
  method: "GET" | "POST";
  canonicalQuery: string;
  headers: Record<string, string>;
  signedHeaders: string;
  /** Raw body bytes (text); the payload hash is computed from it unless `unsignedPayload`. */
  body: string;
  unsignedPayload?: true;
  timestamp: string;
  date: string;
  service: string;
  hashedRequestPayload?: string;
  /** The canonical request, when the sheet spells it out. */
  canonicalRequest?: string;
  hashedCanonicalRequest: string;
  stringToSign?: string;
  kDate?: string;
  kService?: string;
  kSigning?: string;
  signature: string;
}

const T0_BODY = String.raw`{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`;
const T1_BODY = `{"InstanceIds":["ins-abcd1234"],"Limit":10}`;
const T3_BODY = `{"InstanceIds": ["ins-abcd1234"], "Limit": 10}`;

const T0: Tc3Vector = {
  name: "T0 (official doc vector)",
  secretKey: DOC_SECRET_KEY,
  method: "POST",
  canonicalQuery: "",
  headers: { "content-type": "application/json; charset=utf-8", host: "cvm.tencentcloudapi.com" },
  signedHeaders: "content-type;host",
  body: T0_BODY,
  timestamp: "1551113065",
  date: "2019-02-25",
  service: "cvm",
  hashedRequestPayload: "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064",
  hashedCanonicalRequest: "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031",
  kDate: "f1cb4d518a0eda9d5cbbfdb7850983f1e603eeae484edea76e4dd8d8deb5556e",
  kService: "e7c609ce81bea53546bed2cc904778bef9ca14082e48e67883443ed64e227cd7",
  kSigning: "8aa8ab5755582f576e94bcfe383b8e29325b0ca90c3590d569221c6a63a091ed",
  signature: "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c",
};
const T0_AUTHORIZATION =
  "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c";

const T0b: Tc3Vector = {
  ...T0,
  name: "T0b (official doc vector, x-tc-action signed)",
  headers: { ...T0.headers, "x-tc-action": "DescribeInstances" },
  signedHeaders: "content-type;host;x-tc-action",
  hashedCanonicalRequest: "7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84",
  signature: "be4f67d323c78ab9acb7395e43c0dbcf822a9cfac32fea2449a7bc7726b770a3",
};

const T1: Tc3Vector = {
  name: "T1 (Node/Go to the real host)",
  secretKey: EMU.secretKey,
  method: "POST",
  canonicalQuery: "",
  headers: { "content-type": "application/json", host: "cvm.tencentcloudapi.com" },
  signedHeaders: "content-type;host",
  body: T1_BODY,
  timestamp: EMU.timestamp,
  date: EMU.date,
  service: "cvm",
  hashedRequestPayload: "b2f7137cbfe8ec9a2867fb045abdd6ab27d9f27e432baeeb91305cc725349258",
  canonicalRequest: [
    "POST",
    "/",
    "",
    "content-type:application/json",
    "host:cvm.tencentcloudapi.com",
    "",
    "content-type;host",
    "b2f7137cbfe8ec9a2867fb045abdd6ab27d9f27e432baeeb91305cc725349258",
  ].join("\n"),
  hashedCanonicalRequest: "c595c27fc08eacbfb23bde9a84cf8020518ca4bbfd9a25ed4bce22326d28ee66",
  stringToSign: [
    "TC3-HMAC-SHA256",
    "1700000000",
    "2023-11-14/cvm/tc3_request",
    "c595c27fc08eacbfb23bde9a84cf8020518ca4bbfd9a25ed4bce22326d28ee66",
  ].join("\n"),
  kDate: "ae33bf846ef47b7c764c96249f4932fbdca6fd771b5d5c1c29f3ad00cbbdd735",
  kService: "f255af12b668bf8079d4c3f178f2b11917bcae470a9993e97f51243493c97fe9",
  kSigning: "6c197d4b1becb9473adf3e11621a7984af9574000b1bae3e31c94e7a2422d810",
  signature: "d113967aa8ca9d1111d91e4068ab9cad6898a77020457535cb8855bbbf319743",
};
const T1_AUTHORIZATION =
  "TC3-HMAC-SHA256 Credential=AKIDEMULATOREXAMPLE0000000000000000/2023-11-14/cvm/tc3_request, SignedHeaders=content-type;host, Signature=d113967aa8ca9d1111d91e4068ab9cad6898a77020457535cb8855bbbf319743";

/** T2 as *signed* by the Node SDK: host without the port, service "127". */
const T2: Tc3Vector = {
  ...T1,
  name: "T2 (Node SDK at http://127.0.0.1:9000, as signed)",
  headers: { "content-type": "application/json", host: "127.0.0.1" },
  service: "127",
  canonicalRequest: undefined,
  stringToSign: undefined,
  kDate: T1.kDate, // same secret and date
  kService: "ed0519975b5f0ed108188e51fa54425e98697b359f6db95b26a4f7d976adcaf8",
  kSigning: "058d463f72f5f9d7fb6ba7019157605ba8036c0a9899f90086169e092ef31f4b",
  hashedCanonicalRequest: "977044ff54f7d4e0084f7a5a447e8a43baf00e3ed5fbe2fda5bc8f28f475cc10",
  signature: "2973aef8a621642d4e8270bbadd02c53aec2d592e5835fbd45940cdfe011a2af",
};
/** The Host header on the wire for T2. */
const T2_WIRE_HOST = "127.0.0.1:9000";

const T3: Tc3Vector = {
  ...T1,
  name: "T3 (Python/Go at 127.0.0.1:9000)",
  headers: { "content-type": "application/json", host: "127.0.0.1:9000" },
  body: T3_BODY,
  canonicalRequest: undefined,
  stringToSign: undefined,
  hashedRequestPayload: "73fac245cdc68405e15affd825a9d6133471898b51b23e3bc05536264d923eeb",
  hashedCanonicalRequest: "c7b753f00136483760fc7fabeccca9b8982af597c06cae4ea5b9602a10e0fa23",
  signature: "21482d19516fd562f24a692433a46627534ba400283cb97e06ada8a2ea753cff",
};

const T4: Tc3Vector = {
  name: "T4 (GET, flattened query)",
  secretKey: EMU.secretKey,
  method: "GET",
  canonicalQuery: "Filters.0.Name=zone&Filters.0.Values.0=ap-guangzhou-3&Limit=10&Offset=0",
  headers: { "content-type": "application/x-www-form-urlencoded", host: "cvm.tencentcloudapi.com" },
  signedHeaders: "content-type;host",
  body: "",
  timestamp: EMU.timestamp,
  date: EMU.date,
  service: "cvm",
  hashedRequestPayload: EMPTY_SHA256,
  canonicalRequest: [
    "GET",
    "/",
    "Filters.0.Name=zone&Filters.0.Values.0=ap-guangzhou-3&Limit=10&Offset=0",
    "content-type:application/x-www-form-urlencoded",
    "host:cvm.tencentcloudapi.com",
    "",
    "content-type;host",
    EMPTY_SHA256,
  ].join("\n"),
  hashedCanonicalRequest: "c21be75546684716ba0596edaadc5c237eb3158429d01bcfde971bffc0b4d8d0",
  kSigning: T1.kSigning,
  signature: "e063bd9ebb568bc977b70d65f6919e09582f40079c0cd70c24ccaedaab0bde68",
};

const T5: Tc3Vector = {
  ...T1,
  name: "T5 (UNSIGNED-PAYLOAD)",
  body: "any body at all: it is not hashed",
  unsignedPayload: true,
  canonicalRequest: undefined,
  stringToSign: undefined,
  hashedRequestPayload: UNSIGNED_PAYLOAD_SHA256,
  hashedCanonicalRequest: "08ca61ccea5c4f36a3d4ba244ffe6984977e068524eacd007c466f121f299ad6",
  signature: "02ef0ec8e58154b172bb347b7cc7a03e6316418ffddd114a6bec3da055bd1bdd",
};

const TC3_VECTORS: Tc3Vector[] = [T0, T0b, T1, T2, T3, T4, T5];

interface V1Vector {
  name: string;
  secretKey: string;
  method: "GET" | "POST";
  host: string;
  /** The parameters as sent (unsorted on purpose: the signer must sort them). */
  params: Array<[string, string]>;
  stringToSign: string;
  signature: string;
}

const V0: V1Vector = {
  name: "V0 (official doc vector, HmacSHA1, GET)",
  secretKey: DOC_SECRET_KEY,
  method: "GET",
  host: "cvm.tencentcloudapi.com",
  params: [
    ["Version", "2017-03-12"],
    ["Timestamp", "1465185768"],
    ["SecretId", DOC_SECRET_ID],
    ["Region", "ap-guangzhou"],
    ["Offset", "0"],
    ["Nonce", "11886"],
    ["Limit", "20"],
    ["InstanceIds.0", "ins-09dx96dg"],
    ["Action", "DescribeInstances"],
  ],
  stringToSign:
    "GETcvm.tencentcloudapi.com/?Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Limit=20&Nonce=11886&Offset=0&Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******&Timestamp=1465185768&Version=2017-03-12",
  signature: "zmmjn35mikh6pM3V7sUEuX4wyYM=",
};
const V0_SIGNATURE_ON_WIRE = "zmmjn35mikh6pM3V7sUEuX4wyYM%3D";

const V1: V1Vector = {
  name: "V1 (HmacSHA256, POST form)",
  secretKey: EMU.secretKey,
  method: "POST",
  host: "cvm.tencentcloudapi.com",
  params: [
    ["Action", "DescribeInstances"],
    ["InstanceIds.0", "ins-abcd1234"],
    ["Limit", "10"],
    ["Nonce", "11886"],
    ["Region", "ap-guangzhou"],
    ["SecretId", EMU.secretId],
    ["SignatureMethod", "HmacSHA256"],
    ["Timestamp", EMU.timestamp],
    ["Version", "2017-03-12"],
  ],
  stringToSign:
    "POSTcvm.tencentcloudapi.com/?Action=DescribeInstances&InstanceIds.0=ins-abcd1234&Limit=10&Nonce=11886&Region=ap-guangzhou&SecretId=AKIDEMULATOREXAMPLE0000000000000000&SignatureMethod=HmacSHA256&Timestamp=1700000000&Version=2017-03-12",
  signature: "HuvaAauXIxHzHBHeciUL1UiT/dXiV1FpSjKtg6DG3NM=",
};
const V1_BODY_AS_SENT =
  "Action=DescribeInstances&InstanceIds.0=ins-abcd1234&Limit=10&Nonce=11886&Region=ap-guangzhou&SecretId=AKIDEMULATOREXAMPLE0000000000000000&SignatureMethod=HmacSHA256&Timestamp=1700000000&Version=2017-03-12&Signature=HuvaAauXIxHzHBHeciUL1UiT%2FdXiV1FpSjKtg6DG3NM%3D";

const V2: V1Vector = {
  name: "V2 (HmacSHA1, GET, no SignatureMethod)",
  secretKey: EMU.secretKey,
  method: "GET",
  host: "cvm.tencentcloudapi.com",
  params: V1.params.filter(([k]) => k !== "SignatureMethod").reverse(),
  stringToSign:
    "GETcvm.tencentcloudapi.com/?Action=DescribeInstances&InstanceIds.0=ins-abcd1234&Limit=10&Nonce=11886&Region=ap-guangzhou&SecretId=AKIDEMULATOREXAMPLE0000000000000000&Timestamp=1700000000&Version=2017-03-12",
  signature: "ZpHTUAqgUiOkNc7bbCneGi4v5B8=",
};

const V1_VECTORS: V1Vector[] = [V0, V1, V2];

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function hashedPayload(v: Tc3Vector): string {
  return v.unsignedPayload ? sha256Hex("UNSIGNED-PAYLOAD") : sha256Hex(Buffer.from(v.body, "utf8"));
}

function signingInput(v: Tc3Vector, overrides: Partial<Tc3SigningInput> = {}): Tc3SigningInput {
  return {
    method: v.method,
    canonicalUri: "/",
    canonicalQuery: v.canonicalQuery,
    headers: v.headers,
    signedHeaders: v.signedHeaders,
    hashedPayload: hashedPayload(v),
    timestamp: v.timestamp,
    date: v.date,
    service: v.service,
    ...overrides,
  };
}

function hmacRaw(key: string | Buffer, msg: string): Buffer {
  return createHmac("sha256", key).update(msg, "utf8").digest();
}

function signatureMethodOf(v: V1Vector): string | undefined {
  return v.params.find(([k]) => k === "SignatureMethod")?.[1];
}

// ---------------------------------------------------------------------------------------------
// TC3
// ---------------------------------------------------------------------------------------------

describe("TC3-HMAC-SHA256 vectors (protocol.md §9)", () => {
  it("hashes the empty payload and UNSIGNED-PAYLOAD to the documented values", () => {
    expect(sha256Hex("")).toBe(EMPTY_SHA256);
    expect(sha256Hex("UNSIGNED-PAYLOAD")).toBe(UNSIGNED_PAYLOAD_SHA256);
  });

  for (const v of TC3_VECTORS) {
    describe(v.name, () => {
      if (v.hashedRequestPayload !== undefined) {
        const expected = v.hashedRequestPayload;
        it("HashedRequestPayload", () => {
          expect(hashedPayload(v)).toBe(expected);
        });
      }

      if (v.canonicalRequest !== undefined) {
        const expected = v.canonicalRequest;
        it("CanonicalRequest", () => {
          expect(tc3CanonicalRequest(signingInput(v))).toBe(expected);
        });
      }

      it("HashedCanonicalRequest", () => {
        expect(sha256Hex(tc3CanonicalRequest(signingInput(v)))).toBe(v.hashedCanonicalRequest);
      });

      if (v.kDate !== undefined || v.kService !== undefined) {
        it("kDate and kService (the key chain of §4.4, as transcribed)", () => {
          const kDate = hmacRaw("TC3" + v.secretKey, v.date);
          const kService = hmacRaw(kDate, v.service);
          if (v.kDate !== undefined) expect(kDate.toString("hex")).toBe(v.kDate);
          if (v.kService !== undefined) expect(kService.toString("hex")).toBe(v.kService);
          expect(hmacRaw(kService, "tc3_request")).toEqual(tc3SigningKey(v.secretKey, v.date, v.service));
        });
      }

      if (v.kSigning !== undefined) {
        const expected = v.kSigning;
        it("kSigning", () => {
          const key = tc3SigningKey(v.secretKey, v.date, v.service);
          expect(key.length).toBe(32);
          expect(key.toString("hex")).toBe(expected);
        });
      }

      if (v.stringToSign !== undefined) {
        const expected = v.stringToSign;
        it("StringToSign", () => {
          expect(tc3Compute(signingInput(v), v.secretKey).stringToSign).toBe(expected);
        });
      }

      it("Signature", () => {
        const computed = tc3Compute(signingInput(v), v.secretKey);
        expect(computed.canonicalRequest).toBe(tc3CanonicalRequest(signingInput(v)));
        expect(computed.stringToSign).toBe(
          ["TC3-HMAC-SHA256", v.timestamp, `${v.date}/${v.service}/tc3_request`, v.hashedCanonicalRequest].join("\n"),
        );
        expect(computed.signature).toBe(v.signature);
      });

      it("verifyTc3 accepts the vector's signature and rejects a wrong key or a tampered body", () => {
        const { canonicalUri: _uri, ...base } = signingInput(v);
        const ok = verifyTc3(base, "/", v.secretKey, v.signature);
        expect(ok.ok).toBe(true);
        expect(ok.attempt.signature).toBe(v.signature);

        expect(verifyTc3(base, "/", v.secretKey + "x", v.signature).ok).toBe(false);
        if (!v.unsignedPayload) {
          const tampered = { ...base, hashedPayload: sha256Hex(v.body + " ") };
          expect(verifyTc3(tampered, "/", v.secretKey, v.signature).ok).toBe(false);
        }
      });
    });
  }

  it("T0: header values are lower-cased in the canonical headers (x-tc-action:describeinstances)", () => {
    const canonical = tc3CanonicalRequest(signingInput(T0b));
    expect(canonical.split("\n")).toEqual([
      "POST",
      "/",
      "",
      "content-type:application/json; charset=utf-8",
      "host:cvm.tencentcloudapi.com",
      "x-tc-action:describeinstances",
      "",
      "content-type;host;x-tc-action",
      T0.hashedRequestPayload,
    ]);
  });

  it("T2: the canonical host line is the host without the port", () => {
    expect(tc3CanonicalRequest(signingInput(T2)).split("\n")[4]).toBe("host:127.0.0.1");
  });

  it("T2: verifyTc3 with the wire Host 127.0.0.1:9000 passes by falling back to the host without its port", () => {
    const { canonicalUri: _uri, ...base } = signingInput(T2, { headers: { ...T2.headers, host: T2_WIRE_HOST } });
    const result = verifyTc3(base, "/", T2.secretKey, T2.signature);
    expect(result.ok).toBe(true);
    expect(result.attempt.signature).toBe(T2.signature);
    expect(result.attempt.canonicalRequest.split("\n")[4]).toBe("host:127.0.0.1");
  });

  it("T2: signing with host 127.0.0.1:9000 alone does not produce the vector's signature", () => {
    const computed = tc3Compute(signingInput(T2, { headers: { ...T2.headers, host: T2_WIRE_HOST } }), T2.secretKey);
    expect(computed.canonicalRequest.split("\n")[4]).toBe("host:127.0.0.1:9000");
    expect(sha256Hex(computed.canonicalRequest)).not.toBe(T2.hashedCanonicalRequest);
    expect(computed.signature).not.toBe(T2.signature);
  });

  it("T2: a failed verification reports the first attempt (Host as received)", () => {
    const { canonicalUri: _uri, ...base } = signingInput(T2, { headers: { ...T2.headers, host: T2_WIRE_HOST } });
    const result = verifyTc3(base, "/", T2.secretKey, "0".repeat(64));
    expect(result.ok).toBe(false);
    expect(result.attempt.canonicalRequest.split("\n")[4]).toBe("host:127.0.0.1:9000");
  });

  it("T3: the signed host keeps the port, so stripping it is not what makes T3 pass", () => {
    const withoutPort = tc3Compute(signingInput(T3, { headers: { ...T3.headers, host: "127.0.0.1" } }), T3.secretKey);
    expect(withoutPort.signature).not.toBe(T3.signature);
    const { canonicalUri: _uri, ...base } = signingInput(T3);
    const result = verifyTc3(base, "/", T3.secretKey, T3.signature);
    expect(result.ok).toBe(true);
    expect(result.attempt.canonicalRequest.split("\n")[4]).toBe("host:127.0.0.1:9000");
  });

  it("T4: verifyTc3 tries the request path as a canonical URI after /", () => {
    const { canonicalUri: _uri, ...base } = signingInput(T4);
    // Signed with "/", received on another path: still accepted.
    expect(verifyTc3(base, "/some/path", T4.secretKey, T4.signature).ok).toBe(true);
    // Signed with the request path itself.
    const onPath = tc3Compute({ ...base, canonicalUri: "/some/path" }, T4.secretKey);
    expect(onPath.signature).not.toBe(T4.signature);
    expect(verifyTc3(base, "/some/path", T4.secretKey, onPath.signature).ok).toBe(true);
    expect(verifyTc3(base, "/", T4.secretKey, onPath.signature).ok).toBe(false);
  });

  it("T4: the raw query is signed as received (re-encoding it changes the signature)", () => {
    const reencoded = tc3Compute(
      signingInput(T4, { canonicalQuery: "Filters.0.Name=zone&Filters.0.Values.0=ap%2Dguangzhou%2D3&Limit=10&Offset=0" }),
      T4.secretKey,
    );
    expect(reencoded.signature).not.toBe(T4.signature);
  });
});

describe("parseTc3Authorization", () => {
  it("accepts the T0 header", () => {
    expect(parseTc3Authorization(T0_AUTHORIZATION)).toEqual({
      secretId: DOC_SECRET_ID,
      date: "2019-02-25",
      service: "cvm",
      signedHeaders: "content-type;host",
      signature: T0.signature,
    });
  });

  it("accepts the T1 header and variable whitespace after the commas", () => {
    const expected = {
      secretId: EMU.secretId,
      date: EMU.date,
      service: "cvm",
      signedHeaders: "content-type;host",
      signature: T1.signature,
    };
    expect(parseTc3Authorization(T1_AUTHORIZATION)).toEqual(expected);
    expect(parseTc3Authorization(T1_AUTHORIZATION.replace(/, /g, ",   "))).toEqual(expected);
    expect(parseTc3Authorization(T1_AUTHORIZATION.replace(/, /g, ","))).toEqual(expected);
  });

  it("accepts the service the Node SDK writes for an IP endpoint (127)", () => {
    const header = `TC3-HMAC-SHA256 Credential=${EMU.secretId}/${EMU.date}/127/tc3_request, SignedHeaders=content-type;host, Signature=${T2.signature}`;
    expect(parseTc3Authorization(header)?.service).toBe("127");
  });

  it("rejects a wrong algorithm", () => {
    expect(parseTc3Authorization(T0_AUTHORIZATION.replace("TC3-HMAC-SHA256", "TC3-HMAC-SHA1"))).toBeUndefined();
    expect(parseTc3Authorization(T0_AUTHORIZATION.replace("TC3-HMAC-SHA256", "HmacSHA256"))).toBeUndefined();
  });

  it("rejects a short signature", () => {
    expect(parseTc3Authorization(T0_AUTHORIZATION.slice(0, -1))).toBeUndefined();
  });

  it("rejects an upper-case signature", () => {
    expect(parseTc3Authorization(T0_AUTHORIZATION.replace(T0.signature, T0.signature.toUpperCase()))).toBeUndefined();
  });

  it("rejects a missing SignedHeaders", () => {
    expect(parseTc3Authorization(T0_AUTHORIZATION.replace(" SignedHeaders=content-type;host,", ""))).toBeUndefined();
  });

  it("rejects a credential scope not ending in tc3_request", () => {
    expect(parseTc3Authorization(T0_AUTHORIZATION.replace("/tc3_request", "/tc4_request"))).toBeUndefined();
  });
});

describe("signaturesEqual", () => {
  it("is true for equal signatures", () => {
    expect(signaturesEqual(T1.signature, `${T1.signature}`)).toBe(true);
  });

  it("is false for different signatures of the same length", () => {
    const other = T1.signature.slice(0, -1) + (T1.signature.endsWith("3") ? "4" : "3");
    expect(other.length).toBe(T1.signature.length);
    expect(signaturesEqual(T1.signature, other)).toBe(false);
  });

  it("is false for signatures of different lengths", () => {
    expect(signaturesEqual(T1.signature, T1.signature.slice(0, -1))).toBe(false);
    expect(signaturesEqual(T1.signature, T1.signature + "0")).toBe(false);
    expect(signaturesEqual("", T1.signature)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// v1
// ---------------------------------------------------------------------------------------------

describe("v1 vectors (protocol.md §9)", () => {
  for (const v of V1_VECTORS) {
    describe(v.name, () => {
      const method = v1Method(signatureMethodOf(v));

      it("StringToSign", () => {
        expect(v1StringToSign(v.method, v.host, "/", v.params)).toBe(v.stringToSign);
      });

      it("StringToSign leaves out a Signature parameter", () => {
        expect(v1StringToSign(v.method, v.host, "/", [...v.params, ["Signature", v.signature]])).toBe(v.stringToSign);
      });

      it("Signature", () => {
        expect(v1Sign(v.secretKey, v.stringToSign, method)).toBe(v.signature);
      });

      it("verifyV1 accepts the signature and rejects a wrong key or another method", () => {
        const ok = verifyV1(v.method, v.host, v.params, v.secretKey, method, v.signature);
        expect(ok).toEqual({ ok: true, stringToSign: v.stringToSign });
        expect(verifyV1(v.method, v.host, v.params, v.secretKey + "x", method, v.signature).ok).toBe(false);
        const other = method === "HmacSHA1" ? "HmacSHA256" : "HmacSHA1";
        expect(verifyV1(v.method, v.host, v.params, v.secretKey, other, v.signature).ok).toBe(false);
        const otherVerb = v.method === "GET" ? "POST" : "GET";
        expect(verifyV1(otherVerb, v.host, v.params, v.secretKey, method, v.signature).ok).toBe(false);
      });
    });
  }

  it("V0 and V2 use HmacSHA1, V1 uses HmacSHA256", () => {
    expect(v1Method(signatureMethodOf(V0))).toBe("HmacSHA1");
    expect(v1Method(signatureMethodOf(V1))).toBe("HmacSHA256");
    expect(v1Method(signatureMethodOf(V2))).toBe("HmacSHA1");
  });

  it("V0: the signature sent URL-encoded decodes to the vector", () => {
    expect(decodeForm(`Signature=${V0_SIGNATURE_ON_WIRE}`)).toEqual([["Signature", V0.signature]]);
  });

  it("V1: the body as sent decodes to the parameters, and verifies", () => {
    const pairs = decodeForm(V1_BODY_AS_SENT);
    expect(pairs).toEqual([...V1.params, ["Signature", V1.signature]]);
    const signature = pairs.find(([k]) => k === "Signature")?.[1];
    expect(signature).toBe(V1.signature);
    const method = v1Method(pairs.find(([k]) => k === "SignatureMethod")?.[1]);
    expect(verifyV1("POST", V1.host, pairs, V1.secretKey, method, V1.signature)).toEqual({
      ok: true,
      stringToSign: V1.stringToSign,
    });
  });

  it("V1: a local Host header changes the string to sign (POST127.0.0.1:9000/?…) and fails the vector", () => {
    const local = v1StringToSign("POST", "127.0.0.1:9000", "/", V1.params);
    expect(local).toBe(V1.stringToSign.replace("POSTcvm.tencentcloudapi.com/", "POST127.0.0.1:9000/"));
    const result = verifyV1("POST", "127.0.0.1:9000", V1.params, V1.secretKey, "HmacSHA256", V1.signature);
    expect(result).toEqual({ ok: false, stringToSign: local });
    // ...and a signature made for the local host passes.
    const localSig = v1Sign(V1.secretKey, local, "HmacSHA256");
    expect(verifyV1("POST", "127.0.0.1:9000", V1.params, V1.secretKey, "HmacSHA256", localSig).ok).toBe(true);
  });

  it("V1: verifyV1 falls back to the Host without its port", () => {
    const result = verifyV1("POST", "cvm.tencentcloudapi.com:443", V1.params, V1.secretKey, "HmacSHA256", V1.signature);
    expect(result).toEqual({ ok: true, stringToSign: V1.stringToSign });
  });

  it("sorts keys by byte value: InstanceIds.12 before InstanceIds.2, upper case before lower case", () => {
    const sts = v1StringToSign("GET", "h", "/", [
      ["InstanceIds.2", "c"],
      ["InstanceIds.12", "b"],
      ["InstanceIds.1", "a"],
      ["a", "lower"],
      ["Z", "upper"],
    ]);
    expect(sts).toBe("GETh/?InstanceIds.1=a&InstanceIds.12=b&InstanceIds.2=c&Z=upper&a=lower");
    expect(sts.indexOf("InstanceIds.12=")).toBeLessThan(sts.indexOf("InstanceIds.2="));
  });

  it("signs the decoded values, without URL encoding", () => {
    expect(v1StringToSign("GET", "h", "/", [["InstanceName", "a b&c=d/é"]])).toBe("GETh/?InstanceName=a b&c=d/é");
  });

  it("v1Method: HmacSHA256 means SHA-256, anything else or nothing means HmacSHA1", () => {
    expect(v1Method(undefined)).toBe("HmacSHA1");
    expect(v1Method("HmacSHA256")).toBe("HmacSHA256");
    expect(v1Method("HmacSHA1")).toBe("HmacSHA1");
    expect(v1Method("hmacsha256")).toBe("HmacSHA1");
    expect(v1Method("")).toBe("HmacSHA1");
  });
});
