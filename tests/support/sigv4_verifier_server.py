#!/usr/bin/env python3
"""A loopback HTTP server that checks SigV4 signatures with botocore, for end-to-end tests.

    python3 tests/support/sigv4_verifier_server.py \\
        --access-key AKID --secret-key SECRET --region us-east-1 [--session-token TOKEN]

(or the environment variables SIGV4_VERIFIER_ACCESS_KEY, SIGV4_VERIFIER_SECRET_KEY,
SIGV4_VERIFIER_REGION, SIGV4_VERIFIER_SESSION_TOKEN). It binds 127.0.0.1 on a free port, prints
the port as the first line on stdout, and serves until killed (or, with ``--exit-on-stdin-eof``,
until its stdin is closed, so that a test's child process cannot outlive the test).

Every request, whatever the method and path, is verified independently of the client:

* the ``Authorization`` header is parsed; the access key and region must be the expected ones,
  the scope's date must be ``x-amz-date``'s date, the scope must end in ``aws4_request``;
  ``host`` and ``x-amz-date`` must be signed, and so must ``x-amz-security-token`` and
  ``x-amz-content-sha256`` when sent;
* ``x-amz-content-sha256``, when sent, must be the SHA-256 of the body as received (or
  ``UNSIGNED-PAYLOAD`` for S3);
* the signature is recomputed with botocore (``S3SigV4Auth`` when the scope's service is an S3
  one, else ``SigV4Auth``) from the raw path and query *as received*, exactly the headers
  named in ``SignedHeaders`` (with every value they were received with) and the body, and
  must equal the one sent;
* the session token, when one is expected, must be the one sent.

The answer is ``200 {"ok": true, ...}`` or ``403 {"ok": false, "errors": [...],
"canonical_request": ..., "string_to_sign": ...}`` with botocore's canonical request.

botocore quirks (it is a *client* signer, not AWS's verifier):

* a literal ``+`` in the query is signed raw by botocore where AWS reads it as a space; the
  server therefore refuses a raw ``+`` in the query (a canonical wire form never has one) with
  an explicit error rather than silently accepting either reading;
* a trailing dot segment (``/a/b/..``) normalises to ``/a`` in botocore but ``/a/`` in RFC 3986;
  clients built on the ``url`` crate never send dot segments, so this is not special-cased;
* header values are trimmed of all whitespace by botocore, of spaces only by AWS.

The response also reports ``canonical_path`` and ``canonical_query``: whether the raw path and
query were in SigV4's canonical encoding (every byte outside ``A-Za-z0-9-_.~`` percent-encoded
with uppercase hex; query pieces ``k=v`` or ``k``, none empty). The signer puts every query,
and S3 paths, in that form; other services' paths are sent as written (the server encodes
them once more), so there it is informational.
"""

import argparse
import datetime
import hashlib
import json
import os
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

S3_SERVICES = {"s3", "s3-object-lambda", "s3express"}
AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<credential>[^,\s]+),\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)
CANONICAL_COMPONENT = re.compile(r"^(?:[A-Za-z0-9\-_.~]|%[0-9A-F]{2})*$")
UNRESERVED_ESCAPE = re.compile(r"%(?:[46][1-9A-F]|[57][0-9A]|3[0-9]|2D|2E|5F|7E)")
SIGNING_LOCK = threading.Lock()

# Sign exactly what the client listed in SignedHeaders.
botocore.auth.SIGNED_HEADERS_BLACKLIST = []


class Recording:
    def string_to_sign(self, request, canonical_request):
        sts = super().string_to_sign(request, canonical_request)
        self.recorded = (canonical_request, sts)
        return sts


class RecordingSigV4(Recording, botocore.auth.SigV4Auth):
    pass


class RecordingS3SigV4(Recording, botocore.auth.S3SigV4Auth):
    pass


def _canonical_component(part):
    return bool(CANONICAL_COMPONENT.match(part)) and not UNRESERVED_ESCAPE.search(part)


def is_canonical_path(raw_target):
    """Every path segment in SigV4's canonical encoding (what S3 clients must send)."""
    return all(_canonical_component(seg) for seg in raw_target.partition("?")[0].split("/"))


def is_canonical_query(raw_target):
    """No query, or ``k=v`` / ``k`` pieces in SigV4's canonical encoding (no ``+``, no ``&&``)."""
    if "?" not in raw_target:
        return True
    query = raw_target.partition("?")[2]
    if not query:
        return False
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if not key or not _canonical_component(key) or not _canonical_component(value):
            return False
    return True


def verify(config, method, raw_target, headers, body):
    """Returns (ok, report)."""
    errors = []
    report = {
        "method": method,
        "target": raw_target,
        "canonical_path": is_canonical_path(raw_target),
        "canonical_query": is_canonical_query(raw_target),
    }

    auth = headers.get_all("authorization") or []
    if len(auth) != 1:
        return False, {**report, "errors": [f"expected one authorization header, got {len(auth)}"]}
    match = AUTH_RE.match(auth[0])
    if not match:
        return False, {**report, "errors": [f"malformed authorization header: {auth[0]!r}"]}
    credential = match["credential"].split("/")
    signed = match["signed"].split(";")
    report["signed_headers"] = match["signed"]
    if len(credential) != 5:
        return False, {**report, "errors": [f"malformed credential scope: {match['credential']!r}"]}
    access_key, scope_date, region, service, terminator = credential
    report["service"] = service
    if access_key != config.access_key:
        errors.append(f"access key {access_key!r} is not the expected {config.access_key!r}")
    if region != config.region:
        errors.append(f"scope region {region!r} is not the expected {config.region!r}")
    if terminator != "aws4_request":
        errors.append(f"scope ends in {terminator!r}, not 'aws4_request'")
    if signed != sorted(set(signed)) or any(h != h.lower() for h in signed):
        errors.append(f"SignedHeaders is not sorted, unique and lowercase: {match['signed']!r}")

    amz_date = headers.get_all("x-amz-date") or []
    when = None
    if len(amz_date) != 1:
        errors.append(f"expected one x-amz-date header, got {len(amz_date)}")
    else:
        try:
            when = datetime.datetime.strptime(amz_date[0], "%Y%m%dT%H%M%SZ")
        except ValueError:
            errors.append(f"x-amz-date {amz_date[0]!r} is not YYYYMMDDTHHMMSSZ")
        if amz_date[0][:8] != scope_date:
            errors.append(f"scope date {scope_date} is not x-amz-date's date {amz_date[0][:8]}")

    for required in ("host", "x-amz-date"):
        if required not in signed:
            errors.append(f"`{required}` is not signed")
    for name in ("x-amz-security-token", "x-amz-content-sha256"):
        if headers.get_all(name) and name not in signed:
            errors.append(f"`{name}` is sent but not signed")
    for name in signed:
        if not headers.get_all(name):
            errors.append(f"signed header `{name}` was not received")

    token = (headers.get_all("x-amz-security-token") or [None])[0]
    if config.session_token is not None and token != config.session_token:
        errors.append(f"session token {token!r} is not the expected one")
    if config.session_token is None and token is not None:
        errors.append("a session token was sent but none was expected")

    body_sha256 = hashlib.sha256(body).hexdigest()
    report["body_sha256"] = body_sha256
    content_sha = (headers.get_all("x-amz-content-sha256") or [None])[0]
    s3 = service in S3_SERVICES
    unsigned_payload = s3 and content_sha == "UNSIGNED-PAYLOAD"
    if content_sha is not None and content_sha != body_sha256 and not unsigned_payload:
        errors.append(f"x-amz-content-sha256 {content_sha} is not the body's SHA-256 {body_sha256}")
    if s3 and content_sha is None:
        errors.append("S3 requests must send x-amz-content-sha256")

    query = raw_target.partition("?")[2]
    if "+" in query:
        errors.append(
            "literal `+` in the query: botocore would sign it raw, AWS reads it as a space; "
            "a canonical wire form encodes a space as %20 and a plus as %2B"
        )

    if when is None:
        return False, {**report, "errors": errors}

    url = f"http://{headers.get_all('host')[0] if headers.get_all('host') else '127.0.0.1'}{raw_target}"
    request = AWSRequest(method=method, url=url, data=body)
    for name in signed:
        for value in headers.get_all(name) or []:
            request.headers[name] = value
    if s3:
        request.context["client_config"] = Config(s3={"payload_signing_enabled": not unsigned_payload})
        if unsigned_payload:
            request.context["payload_signing_enabled"] = False
    creds = Credentials(config.access_key, config.secret_key, token)
    signer_cls = RecordingS3SigV4 if s3 else RecordingSigV4
    signer = signer_cls(creds, service, region)
    with SIGNING_LOCK:
        original = botocore.auth.get_current_datetime
        botocore.auth.get_current_datetime = lambda *a, **k: when
        try:
            signer.add_auth(request)
        finally:
            botocore.auth.get_current_datetime = original
    canonical_request, string_to_sign = signer.recorded
    expected_sig = request.headers["Authorization"].rsplit("Signature=", 1)[1]
    expected_signed = re.search(r"SignedHeaders=([^,]+)", request.headers["Authorization"])[1]
    report.update(
        canonical_request=canonical_request,
        string_to_sign=string_to_sign,
        received_signature=match["signature"],
        expected_signature=expected_sig,
    )
    if expected_signed != match["signed"]:
        errors.append(f"botocore signed {expected_signed!r}, the client {match['signed']!r}")
    if expected_sig != match["signature"]:
        errors.append("signature does not match botocore's")
    report["errors"] = errors
    return not errors, report


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    config = None

    def _read_body(self):
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self):
        body = self._read_body()
        try:
            ok, report = verify(self.config, self.command, self.path, self.headers, body)
        except Exception as exc:  # report, do not hang the client
            ok, report = False, {"errors": [f"verifier crashed: {exc!r}"]}
        report["ok"] = ok
        payload = json.dumps(report, ensure_ascii=False).encode("utf-8")
        self.send_response(200 if ok else 403)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle

    def log_message(self, format, *args):
        if os.environ.get("SIGV4_VERIFIER_LOG"):
            sys.stderr.write("sigv4-verifier: " + format % args + "\n")


def main():
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--access-key", default=env("SIGV4_VERIFIER_ACCESS_KEY"))
    parser.add_argument("--secret-key", default=env("SIGV4_VERIFIER_SECRET_KEY"))
    parser.add_argument("--region", default=env("SIGV4_VERIFIER_REGION"))
    parser.add_argument("--session-token", default=env("SIGV4_VERIFIER_SESSION_TOKEN"))
    parser.add_argument("--exit-on-stdin-eof", action="store_true",
                        help="exit when stdin is closed (tests: the server dies with its parent)")
    config = parser.parse_args()
    if not (config.access_key and config.secret_key and config.region):
        parser.error("--access-key, --secret-key and --region (or their env variables) are required")
    Handler.config = config
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)

    def exit_when_stdin_closes():
        while sys.stdin.buffer.read(4096):
            pass
        os._exit(0)

    if config.exit_on_stdin_eof:
        threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
