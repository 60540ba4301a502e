#!/usr/bin/env python3
"""SigV4a differential checks against the AWS CRT (Python `awscrt`, what botocore signs SigV4a with).

    python3 scripts/sigv4a_crt.py sign   [--out tests/fixtures/sigv4a/crt_signed.json]
    python3 scripts/sigv4a_crt.py verify FILE

`sign` signs a table of request shapes with the CRT and writes them, as sent, to a JSON fixture
that `tests/sigv4a_crt.rs` checks with the crate's verifier (so `cargo test` needs no Python).
The CRT's ECDSA signatures are random, so the fixture changes at every run: there is no
`--check`; what is compared is whether signatures verify, never their bytes.

`verify` reads requests the crate signed (written by the ignored test `crate_signed_requests_pass
_the_crt` in `tests/sigv4a_crt.rs`) and checks each with the CRT. The CRT's Python API gives no
canonical request, so the check is made with two signatures over one string to sign `S`, the
one the crate's side wrote beside each request:
  1. the crate's signature verifies over `S` with the public key derived from the secret;
  2. the CRT, given the same request unsigned, the same time, region set, signing name and signed
     header names, signs it, and the CRT's signature verifies over `S` too.
(2) holds only if the CRT computed the same string to sign as `S`, so the crate signed exactly
what the CRT would have. Both verifications are the CRT's own ECDSA (`awscrt.crypto.EC`).

The P-256 key is derived from the secret here (NIST SP 800-108 counter-mode HMAC-SHA256, as
aws-c-auth does), and checked against the official suite's `public-key.json` before anything
else, and against the CRT's own signatures in step 2.
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import io as pyio
import json
import os
import sys

from awscrt import auth, crypto, http

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUITE_PUBLIC_KEY = os.path.join(
    ROOT, "tests", "fixtures", "sigv4a", "suite", "get-vanilla", "public-key.json"
)
DEFAULT_OUT = os.path.join(ROOT, "tests", "fixtures", "sigv4a", "crt_signed.json")
ALGORITHM = "AWS4-ECDSA-P256-SHA256"
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
S3_NAMES = ("s3", "s3-object-lambda", "s3express")
# Fixed, so the table's requests do not depend on the day it was made; the Rust test verifies
# with this as its current time.
SIGNING_TIME = datetime.datetime(2026, 12, 7, 12, 36, 0, tzinfo=datetime.timezone.utc)

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE/session+token=="


def derive_private_scalar(access_key_id, secret_access_key):
    """The SigV4a private key: HMAC-SHA256 counter-mode KDF, retried until below n - 1."""
    key = ("AWS4A" + secret_access_key).encode()
    for counter in range(1, 255):
        fixed = ALGORITHM.encode() + b"\x00" + access_key_id.encode() + bytes([counter])
        fixed += (256).to_bytes(4, "big")
        k0 = int.from_bytes(
            hmac.new(key, (1).to_bytes(4, "big") + fixed, hashlib.sha256).digest(), "big"
        )
        if k0 <= N - 2:
            return k0 + 1
    raise SystemExit("key derivation did not converge")


P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
A = P - 3
G = (
    0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
)


def _add(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2 and (y1 + y2) % P == 0:
        return None
    if p1 == p2:
        m = (3 * x1 * x1 + A) * pow(2 * y1, -1, P) % P
    else:
        m = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (m * m - x1 - x2) % P
    return x3, (m * (x1 - x3) - y1) % P


def public_point(scalar):
    """scalar * G on P-256 (plain double-and-add: the key is a test key, timing is no issue)."""
    result, addend = None, G
    while scalar:
        if scalar & 1:
            result = _add(result, addend)
        addend = _add(addend, addend)
        scalar >>= 1
    return result


def ec_key(access_key_id, secret_access_key):
    """The CRT's EC public key for the derived scalar (SubjectPublicKeyInfo DER)."""
    x, y = public_point(derive_private_scalar(access_key_id, secret_access_key))
    spki = bytes.fromhex(
        "3059301306072a8648ce3d020106082a8648ce3d03010703420004"
    ) + x.to_bytes(32, "big") + y.to_bytes(32, "big")
    return crypto.EC.new_key_from_der_data(spki)


def check_key_derivation():
    with open(SUITE_PUBLIC_KEY) as f:
        expected = json.load(f)
    coords = ec_key(AKID, SECRET).get_public_coords()
    got = {"X": coords.x.hex(), "Y": coords.y.hex()}
    if got["X"] != expected["X"].lower() or got["Y"] != expected["Y"].lower():
        raise SystemExit(f"derived public key {got} is not the suite's {expected}")


def shapes():
    """The table: every shape is signed once; names are unique."""
    lattice = "my-service-0123456789abcdef.7d67968.vpc-lattice-svcs.us-west-2.on.aws"
    mrap = "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com"
    kvs = "0123abcd-4567-89ef-0123-456789abcdef.cloudfront-kvs.global.api.aws"
    events = "abcde.veo.endpoints.event.amazonaws.com"
    apigw = "abc123.execute-api.eu-west-1.amazonaws.com"
    body_json = b'{"Entries":[{"Source":"app","DetailType":"t","Detail":"{}"}]}'
    rows = []

    def row(name, method, host, target, service, region_set="*", headers=(), body=b"",
            token=False, query_signed=False, unsigned=False, sha_header=None, expires=900):
        s3 = service in S3_NAMES
        rows.append(dict(
            name=name, method=method, host=host, target=target, service=service,
            region_set=region_set, headers=list(headers), body=body, token=token,
            query_signed=query_signed, unsigned=unsigned,
            sha_header=s3 if sha_header is None else sha_header, expires=expires,
        ))

    # S3 Multi-Region Access Points: S3 rules (one encoding, no normalisation, hash header).
    row("s3-get-object", "GET", mrap, "/photos/cat.jpg", "s3")
    row("s3-get-root", "GET", mrap, "/", "s3")
    row("s3-list-query", "GET", mrap, "/?list-type=2&prefix=photos%2F&max-keys=10", "s3")
    row("s3-key-with-space", "GET", mrap, "/my%20file.txt", "s3")
    # S3 clients send the key encoded once (botocore quotes `:`), and sign it as sent.
    row("s3-key-with-colon", "GET", mrap, "/logs/2026-12-07T12%3A00%3A00Z.json", "s3")
    row("s3-key-dot-segments", "GET", mrap, "/a/./b/../c", "s3")
    row("s3-key-double-slash", "GET", mrap, "/a//b", "s3")
    row("s3-key-utf8", "GET", mrap, "/%E2%82%AC/price", "s3")
    row("s3-put-body", "PUT", mrap, "/upload/data.bin", "s3", body=b"\x00\x01binary\xff" * 40)
    row("s3-put-unsigned", "PUT", mrap, "/upload/u.bin", "s3", body=b"hello", unsigned=True)
    row("s3-delete", "DELETE", mrap, "/old/key", "s3")
    row("s3-head", "HEAD", mrap, "/photos/cat.jpg", "s3")
    row("s3-session-token", "GET", mrap, "/secure/object", "s3", token=True)
    row("s3-metadata-headers", "PUT", mrap, "/meta", "s3", body=b"m",
        headers=[("x-amz-meta-owner", "alice"), ("content-type", "text/plain"),
                 ("x-amz-storage-class", "STANDARD_IA")])
    row("s3-post-uploads", "POST", mrap, "/big.bin?uploads", "s3")
    row("s3-presign-get", "GET", mrap, "/photos/cat.jpg", "s3", query_signed=True, unsigned=True)
    row("s3-presign-token", "GET", mrap, "/shared/doc.pdf", "s3", query_signed=True,
        unsigned=True, token=True, expires=3600)
    row("s3-presign-put", "PUT", mrap, "/incoming/x.csv", "s3", query_signed=True,
        unsigned=True)
    # Other services: paths normalised and encoded twice.
    row("lattice-get", "GET", lattice, "/orders/42", "vpc-lattice-svcs", sha_header=True,
        unsigned=True)
    row("lattice-post-json", "POST", lattice, "/orders", "vpc-lattice-svcs", sha_header=True,
        unsigned=True, body=b'{"item":"book"}', headers=[("content-type", "application/json")])
    row("lattice-us-west-2", "GET", lattice, "/health", "vpc-lattice-svcs",
        region_set="us-west-2", sha_header=True, unsigned=True)
    row("kvs-describe", "GET", kvs, "/key-value-stores/arn%3Aaws%3Acloudfront%3A%3A123456789012"
        "%3Akey-value-store%2Fkvs1", "cloudfront-keyvaluestore")
    row("kvs-put-key", "PUT", kvs, "/key-value-stores/kvs1/keys/my%20key",
        "cloudfront-keyvaluestore", body=b'{"Value":"v"}',
        headers=[("if-match", "KV1F83G8C2ARO7P"), ("content-type", "application/json")])
    row("events-put-events", "POST", events, "/", "events", region_set="us-east-1,us-west-2",
        body=body_json, headers=[("content-type", "application/x-amz-json-1.1"),
                                 ("x-amz-target", "AWSEvents.PutEvents")])
    row("events-session-token", "POST", events, "/", "events", region_set="us-east-1,us-west-2",
        body=body_json, token=True, headers=[("x-amz-target", "AWSEvents.PutEvents")])
    row("apigw-colon-path", "GET", apigw, "/prod/model/anthropic.claude-v2:1/invoke",
        "execute-api")
    row("apigw-space-path", "GET", apigw, "/prod/my%20item", "execute-api")
    row("apigw-dot-segments", "GET", apigw, "/prod/a/./b/../items", "execute-api")
    row("apigw-query-sorted", "GET", apigw, "/prod/items?b=2&a=1&a=0&c=", "execute-api")
    row("apigw-query-encoded", "GET", apigw, "/prod/q?key=a%20b&sym=%2B%3D%26&tilde=~x",
        "execute-api")
    row("apigw-query-no-value", "GET", apigw, "/prod/q?flag&x=1", "execute-api")
    row("apigw-patch", "PATCH", apigw, "/prod/items/7", "execute-api", body=b'{"n":1}')
    row("apigw-options", "OPTIONS", apigw, "/prod/items", "execute-api")
    row("apigw-region-list", "GET", apigw, "/prod/x", "execute-api",
        region_set="eu-west-1,eu-central-1,us-east-1")
    row("apigw-header-spaces", "GET", apigw, "/prod/h", "execute-api",
        headers=[("x-custom", "  several   spaces  inside ")])
    row("apigw-repeated-header", "GET", apigw, "/prod/h2", "execute-api",
        headers=[("x-multi", "one"), ("x-multi", "two")])
    row("apigw-presign", "GET", apigw, "/prod/ws?client=1", "execute-api", query_signed=True)
    row("apigw-presign-token", "GET", apigw, "/prod/stream", "execute-api", query_signed=True,
        token=True, expires=60)
    row("apigw-wildcard-set", "GET", apigw, "/prod/w", "execute-api", region_set="eu-*")
    return rows


def split_target(target):
    path, _, query = target.partition("?")
    return path, query


def sign_with_crt(shape, date, signed_names=None, stripped=None):
    """Signs `shape` with the CRT. `signed_names`, when given, limits the headers it signs to
    those names (to sign what the crate signed); `stripped` replaces the request's target."""
    # `True` in the table: the table's token; a string: the one a request carried.
    token = TOKEN if shape["token"] is True else (shape["token"] or None)
    provider = auth.AwsCredentialsProvider.new_static(AKID, SECRET, token)
    s3 = shape["service"] in S3_NAMES
    headers = http.HttpHeaders([("host", shape["host"])] + shape["headers"])
    body = shape["body"]
    stream = pyio.BytesIO(body) if body else None
    request = http.HttpRequest(shape["method"], stripped or shape["target"], headers, stream)
    should_sign = None
    if signed_names is not None:
        allowed = set(signed_names)
        should_sign = lambda name: name.lower() in allowed  # noqa: E731
    config = auth.AwsSigningConfig(
        algorithm=auth.AwsSigningAlgorithm.V4_ASYMMETRIC,
        signature_type=(
            auth.AwsSignatureType.HTTP_REQUEST_QUERY_PARAMS
            if shape["query_signed"]
            else auth.AwsSignatureType.HTTP_REQUEST_HEADERS
        ),
        credentials_provider=provider,
        region=shape["region_set"],
        service=shape["service"],
        date=date,
        should_sign_header=should_sign,
        use_double_uri_encode=not s3,
        should_normalize_uri_path=not s3,
        signed_body_value=(
            auth.AwsSignedBodyValue.UNSIGNED_PAYLOAD if shape["unsigned"] else None
        ),
        signed_body_header_type=(
            auth.AwsSignedBodyHeaderType.X_AMZ_CONTENT_SHA_256
            if shape["sha_header"] and not shape["query_signed"]
            else auth.AwsSignedBodyHeaderType.NONE
        ),
        expiration_in_seconds=shape["expires"] if shape["query_signed"] else None,
    )
    auth.aws_sign_request(request, config).result(timeout=30)
    return request


def sign(out):
    rows = shapes()
    cases = []
    for shape in rows:
        request = sign_with_crt(shape, SIGNING_TIME)
        cases.append({
            "name": shape["name"],
            "service": shape["service"],
            "region_set": shape["region_set"],
            "session_token": shape["token"],
            "query_signed": shape["query_signed"],
            "method": request.method,
            "target": request.path,
            "headers": [[name, value] for name, value in request.headers],
            "body_base64": base64.b64encode(shape["body"]).decode(),
        })
    names = [case["name"] for case in cases]
    assert len(set(names)) == len(names), "shape names must be unique"
    document = {
        "about": "Requests signed with SigV4a by the AWS CRT (awscrt), made by "
                 "scripts/sigv4a_crt.py sign; verified by tests/sigv4a_crt.rs.",
        "crt_version": _awscrt_version(),
        "access_key_id": AKID,
        "secret_access_key": SECRET,
        "session_token": TOKEN,
        "signed_at": int(SIGNING_TIME.timestamp()),
        "cases": cases,
    }
    with open(out, "w") as f:
        json.dump(document, f, indent=1, ensure_ascii=True)
        f.write("\n")
    print(f"{len(cases)} requests signed by the CRT written to {os.path.relpath(out, ROOT)}")


def _awscrt_version():
    try:
        from importlib.metadata import version
        return version("awscrt")
    except Exception:  # pragma: no cover - metadata is there when pip installed it
        return "unknown"


def parse_authorization(value):
    algorithm, _, rest = value.partition(" ")
    fields = {}
    for part in rest.split(","):
        key, _, val = part.strip().partition("=")
        fields[key] = val
    return algorithm, fields


def verify(path):
    with open(path) as f:
        document = json.load(f)
    akid = document["access_key_id"]
    secret = document["secret_access_key"]
    key = ec_key(akid, secret)
    failures = []
    for case in document["cases"]:
        try:
            verify_case(case, key, akid)
        except (AssertionError, KeyError, ValueError) as err:
            failures.append(f"{case['name']}: {type(err).__name__}: {err}")
    passed = len(document["cases"]) - len(failures)
    for failure in failures:
        print("FAILED", failure)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures or passed == 0 else 0


def verify_case(case, key, akid):
    string_to_sign = case["string_to_sign"].encode()
    digest = hashlib.sha256(string_to_sign).digest()
    path, query = split_target(case["target"])
    pairs = [p for p in query.split("&") if p] if query else []
    headers = [(n, v) for n, v in case["headers"]]
    if case["query_signed"]:
        params = dict(p.split("=", 1) for p in pairs if "=" in p)
        assert params.get("X-Amz-Algorithm") == "AWS4-ECDSA-P256-SHA256", "not SigV4a"
        signature = params["X-Amz-Signature"]
        signed_names = _unquote(params["X-Amz-SignedHeaders"]).split(";")
        amz_date = params["X-Amz-Date"]
        region_set = _unquote(params["X-Amz-Region-Set"])
        expires = int(params["X-Amz-Expires"])
        credential = _unquote(params["X-Amz-Credential"])
        kept = [p for p in pairs if not p.split("=", 1)[0].startswith("X-Amz-")]
        stripped = path + ("?" + "&".join(kept) if kept else "")
    else:
        values = [v for n, v in headers if n.lower() == "authorization"]
        assert len(values) == 1, "one Authorization header"
        algorithm, fields = parse_authorization(values[0])
        assert algorithm == "AWS4-ECDSA-P256-SHA256", f"algorithm {algorithm}"
        signature = fields["Signature"]
        signed_names = fields["SignedHeaders"].split(";")
        credential = fields["Credential"]
        amz_date = _header(headers, "x-amz-date")
        region_set = _header(headers, "x-amz-region-set")
        expires = None
        stripped = None
    scope = credential.split("/")
    assert scope[0] == akid and len(scope) == 4, f"credential scope {credential}"
    assert string_to_sign.split(b"\n")[2].decode() == "/".join(scope[1:]), "scope in S"
    assert key.verify(digest, bytes.fromhex(signature)), \
        "the crate's signature does not verify over its string to sign"

    sha_value = _header(headers, "x-amz-content-sha256")
    shape = {
        "host": _header(headers, "host"),
        "method": case["method"],
        "target": case["target"],
        "service": scope[2],
        "region_set": region_set,
        "token": _header(headers, "x-amz-security-token") or _query_token(pairs),
        "query_signed": case["query_signed"],
        "unsigned": sha_value == "UNSIGNED-PAYLOAD"
        or (case["query_signed"] and scope[2] in S3_NAMES),
        "sha_header": sha_value is not None,
        "expires": expires,
        "body": base64.b64decode(case.get("body_base64", "")),
        # Headers the CRT adds itself are left out; the rest go as the crate sent them.
        "headers": [
            (n, v) for n, v in headers
            if n.lower() not in ("host", "authorization", "x-amz-date", "x-amz-region-set",
                                 "x-amz-security-token", "x-amz-content-sha256")
        ],
    }
    assert bool(shape["token"]) == bool(case.get("session_token", shape["token"])), \
        "the session token is sent when the credentials have one"
    date = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc
    )
    crt_request = sign_with_crt(shape, date, signed_names, stripped)
    if case["query_signed"]:
        crt_query = split_target(crt_request.path)[1]
        crt_params = dict(p.split("=", 1) for p in crt_query.split("&") if "=" in p)
        crt_signature = crt_params["X-Amz-Signature"]
        crt_signed = _unquote(crt_params["X-Amz-SignedHeaders"]).split(";")
    else:
        _, crt_fields = parse_authorization(_header(list(crt_request.headers), "authorization"))
        crt_signature = crt_fields["Signature"]
        crt_signed = crt_fields["SignedHeaders"].split(";")
    assert crt_signed == signed_names, f"signed headers: CRT {crt_signed}, crate {signed_names}"
    assert key.verify(digest, bytes.fromhex(crt_signature)), (
        "the CRT signed another string to sign than the crate's for the same request "
        f"(crate's string to sign: {case['string_to_sign']!r})"
    )


def _header(headers, name):
    values = [v for n, v in headers if n.lower() == name]
    return values[0] if values else None


def _query_token(pairs):
    for pair in pairs:
        key, _, value = pair.partition("=")
        if key == "X-Amz-Security-Token":
            return _unquote(value)
    return None


def _unquote(value):
    from urllib.parse import unquote
    return unquote(value)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sign_parser = sub.add_parser("sign", help="sign the table with the CRT, write the fixture")
    sign_parser.add_argument("--out", default=DEFAULT_OUT)
    verify_parser = sub.add_parser("verify", help="verify crate-signed requests with the CRT")
    verify_parser.add_argument("file")
    args = parser.parse_args()
    check_key_derivation()
    if args.command == "sign":
        sign(args.out)
        return 0
    return verify(args.file)


if __name__ == "__main__":
    sys.exit(main())
