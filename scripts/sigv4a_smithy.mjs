// SigV4a third opinion: AWS's JavaScript signer (@smithy/signature-v4a) on requests the crate
// signed.
//
//     npm install --prefix DIR @smithy/signature-v4a@3.6.2
//     SMITHY_MODULES=DIR node scripts/sigv4a_smithy.mjs FILE
//
// FILE is what `cargo test --all-features --test sigv4a_crt -- --ignored` writes (see
// scripts/sigv4a_crt.py). For each header-signed request, as with the CRT: the crate's signature
// must verify over the string to sign S written beside it, and the JavaScript signer, given the
// same request, time, region set and signed headers, must sign a string that is S too (its
// signature verifies over S). The JavaScript signer has no query signing: presigned requests
// are counted as skipped. Verification is node's own ECDSA (OpenSSL), with the public key
// derived here from the secret.

import { createECDH, createHmac, createHash, createPublicKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const modules = process.env.SMITHY_MODULES;
if (!modules) {
  console.error("set SMITHY_MODULES to the folder @smithy/signature-v4a was installed in");
  process.exit(2);
}
const require = createRequire(path.resolve(modules, "node_modules") + "/");
const { SignatureV4a } = require("@smithy/signature-v4a");

const N = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
const S3_NAMES = ["s3", "s3-object-lambda", "s3express"];
const ADDED_BY_SIGNER = ["authorization", "x-amz-date", "x-amz-region-set", "x-amz-security-token"];

function derivePublicKey(accessKeyId, secret) {
  const key = Buffer.from("AWS4A" + secret);
  for (let counter = 1; counter < 255; counter++) {
    const fixed = Buffer.concat([
      Buffer.from("AWS4-ECDSA-P256-SHA256\0" + accessKeyId),
      Buffer.from([counter]),
      Buffer.from([0, 0, 1, 0]),
    ]);
    const mac = createHmac("sha256", key)
      .update(Buffer.concat([Buffer.from([0, 0, 0, 1]), fixed]))
      .digest();
    const k0 = BigInt("0x" + mac.toString("hex"));
    if (k0 <= N - 2n) {
      const scalar = Buffer.from((k0 + 1n).toString(16).padStart(64, "0"), "hex");
      const ecdh = createECDH("prime256v1");
      ecdh.setPrivateKey(scalar);
      const point = ecdh.getPublicKey();
      const b64url = (b) => b.toString("base64url");
      return createPublicKey({
        key: { kty: "EC", crv: "P-256", x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33)) },
        format: "jwk",
      });
    }
  }
  throw new Error("key derivation did not converge");
}

// The Hash interface the smithy signers take, over node's crypto.
class Sha256 {
  constructor(secret) {
    this.hash = secret ? createHmac("sha256", secret) : createHash("sha256");
  }
  update(data) {
    this.hash.update(typeof data === "string" ? Buffer.from(data) : data);
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
}

function header(headers, name) {
  const found = headers.find(([n]) => n.toLowerCase() === name);
  return found ? found[1] : undefined;
}

function parseAuthorization(value) {
  const [algorithm, rest] = [value.slice(0, value.indexOf(" ")), value.slice(value.indexOf(" ") + 1)];
  const fields = Object.fromEntries(
    rest.split(",").map((part) => {
      const trimmed = part.trim();
      const eq = trimmed.indexOf("=");
      return [trimmed.slice(0, eq), trimmed.slice(eq + 1)];
    }),
  );
  return { algorithm, fields };
}

async function checkCase(c, document, publicKey) {
  const S = Buffer.from(c.string_to_sign);
  const ok = (sigHex) => verify("sha256", S, { key: publicKey, dsaEncoding: "der" }, Buffer.from(sigHex, "hex"));
  const { algorithm, fields } = parseAuthorization(header(c.headers, "authorization"));
  if (algorithm !== "AWS4-ECDSA-P256-SHA256") throw new Error(`algorithm ${algorithm}`);
  if (!ok(fields.Signature)) throw new Error("the crate's signature does not verify over its string to sign");
  const signedNames = fields.SignedHeaders.split(";");
  const [, , service] = fields.Credential.split("/");
  const amzDate = header(c.headers, "x-amz-date");
  const date = new Date(
    Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8),
      +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15)),
  );
  const [wirePath, rawQuery = ""] = c.target.split(/\?(.*)/s);
  const query = {};
  for (const pair of rawQuery.split("&").filter(Boolean)) {
    const eq = pair.indexOf("=");
    const key = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? "" : decodeURIComponent(pair.slice(eq + 1));
    query[key] = key in query ? [].concat(query[key], value) : value;
  }
  const headers = {};
  for (const [name, value] of c.headers) {
    const lower = name.toLowerCase();
    if (!signedNames.includes(lower) || ADDED_BY_SIGNER.includes(lower)) continue;
    headers[lower] = lower in headers ? `${headers[lower]},${value}` : value;
  }
  const token = header(c.headers, "x-amz-security-token");
  const signer = new SignatureV4a({
    credentials: {
      accessKeyId: document.access_key_id,
      secretAccessKey: document.secret_access_key,
      ...(token ? { sessionToken: token } : {}),
    },
    region: header(c.headers, "x-amz-region-set"),
    service,
    sha256: Sha256,
    uriEscapePath: !S3_NAMES.includes(service),
    applyChecksum: false,
  });
  const body = Buffer.from(c.body_base64, "base64");
  const signed = await signer.sign(
    {
      method: c.method,
      protocol: "https:",
      hostname: headers.host,
      path: wirePath,
      query,
      headers,
      body: body.length ? body : undefined,
    },
    { signingDate: date, signableHeaders: new Set(signedNames) },
  );
  const theirs = parseAuthorization(signed.headers.authorization).fields;
  if (theirs.SignedHeaders !== fields.SignedHeaders) {
    throw new Error(`signed headers: smithy ${theirs.SignedHeaders}, crate ${fields.SignedHeaders}`);
  }
  if (!ok(theirs.Signature)) {
    throw new Error(`@smithy/signature-v4a signed another string to sign than the crate's: ${JSON.stringify(c.string_to_sign)}`);
  }
}

const file = process.argv[2];
if (!file) {
  console.error("usage: node scripts/sigv4a_smithy.mjs FILE");
  process.exit(2);
}
const document = JSON.parse(readFileSync(file, "utf8"));
const publicKey = derivePublicKey(document.access_key_id, document.secret_access_key);
let passed = 0;
let skipped = 0;
const failures = [];
for (const c of document.cases) {
  if (c.query_signed) {
    skipped++;
    continue;
  }
  try {
    await checkCase(c, document, publicKey);
    passed++;
  } catch (err) {
    failures.push(`${c.name}: ${err.message}`);
  }
}
for (const failure of failures) console.log("FAILED", failure);
console.log(`${passed} passed, ${failures.length} failed, ${skipped} skipped`);
process.exit(failures.length || passed === 0 ? 1 : 0);
