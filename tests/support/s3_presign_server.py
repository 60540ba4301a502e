#!/usr/bin/env python3
"""A loopback S3-like object store that accepts only presigned URLs botocore agrees with.

    python3 tests/support/s3_presign_server.py \\
        --access-key AKID --secret-key SECRET --region us-east-1 [--session-token TOKEN]

It binds 127.0.0.1 on a free port, prints the port as the first line on stdout, and serves
until killed (or, with ``--exit-on-stdin-eof``, until its stdin is closed). moto cannot judge
presigned URLs (moto 5.2 answers 500 to every one when auth is on, valid or not), hence this.

Every request must carry a SigV4 query signature, checked independently of the client:

* ``X-Amz-Algorithm`` is ``AWS4-HMAC-SHA256``; ``X-Amz-Credential`` is the expected access key,
  the date of ``X-Amz-Date``, the expected region, ``s3`` and ``aws4_request``;
  ``X-Amz-Expires`` is 1 to 604800 seconds; the server's clock is between ``X-Amz-Date``
  minus five minutes and ``X-Amz-Date`` plus ``X-Amz-Expires`` (else ``expired``);
* ``host`` and every header named in ``X-Amz-SignedHeaders`` were received; the session token,
  when one is expected, is ``X-Amz-Security-Token``;
* the signature is recomputed with botocore's ``S3SigV4QueryAuth`` from the method, the raw path
  and the query *as received* without the signing parameters, the signed headers' values,
  and ``X-Amz-Date`` as botocore's clock, and must equal ``X-Amz-Signature``.

Then it is an object store keyed by the percent-decoded path: ``PUT`` stores the body (and its
``content-type``), ``GET`` returns it (``response-content-type`` in the query overrides the
type, as S3 does), ``HEAD`` its headers, ``DELETE`` removes it. A refused request gets
``403`` and a JSON body with ``errors`` and botocore's canonical request.
"""

import argparse
import datetime
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, unquote_to_bytes

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SIGNING_PARAMS = {
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
}
MAX_SKEW = datetime.timedelta(minutes=5)
SIGNING_LOCK = threading.Lock()
OBJECTS = {}
OBJECTS_LOCK = threading.Lock()

# Sign exactly what the client listed in X-Amz-SignedHeaders.
botocore.auth.SIGNED_HEADERS_BLACKLIST = []


class RecordingS3Query(botocore.auth.S3SigV4QueryAuth):
    def string_to_sign(self, request, canonical_request):
        sts = super().string_to_sign(request, canonical_request)
        self.recorded = (canonical_request, sts)
        return sts


def verify(config, method, raw_target, headers):
    """Returns a list of errors (empty when the request is accepted) and a report."""
    path, _, query = raw_target.partition("?")
    params, rest = {}, []
    for piece in query.split("&") if query else []:
        key, _, value = piece.partition("=")
        name = unquote(key)
        if name in SIGNING_PARAMS:
            if name in params:
                return [f"{name} appears twice"], {}
            params[name] = unquote(value)
        else:
            rest.append(piece)
    missing = sorted(SIGNING_PARAMS - {"X-Amz-Security-Token"} - params.keys())
    if missing:
        return [f"not a presigned URL: no {', '.join(missing)}"], {}

    errors = []
    if params["X-Amz-Algorithm"] != "AWS4-HMAC-SHA256":
        errors.append(f"algorithm {params['X-Amz-Algorithm']!r}")
    credential = params["X-Amz-Credential"].split("/")
    if len(credential) != 5:
        return [f"malformed credential {params['X-Amz-Credential']!r}"], {}
    access_key, scope_date, region, service, terminator = credential
    if access_key != config.access_key:
        errors.append(f"access key {access_key!r} is not the expected one")
    if region != config.region:
        errors.append(f"region {region!r} is not {config.region!r}")
    if service != "s3" or terminator != "aws4_request":
        errors.append(f"scope {service}/{terminator} is not s3/aws4_request")
    try:
        when = datetime.datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    except ValueError:
        return errors + [f"X-Amz-Date {params['X-Amz-Date']!r} is malformed"], {}
    if scope_date != params["X-Amz-Date"][:8]:
        errors.append("the scope's date is not X-Amz-Date's")
    expires = params["X-Amz-Expires"]
    if not expires.isdigit() or not 1 <= int(expires) <= 604800:
        return errors + [f"X-Amz-Expires {expires!r} is not 1 to 604800"], {}
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    if now < when - MAX_SKEW:
        errors.append("X-Amz-Date is in the future")
    if now > when + datetime.timedelta(seconds=int(expires)):
        errors.append("expired: X-Amz-Date + X-Amz-Expires is past")
    token = params.get("X-Amz-Security-Token")
    if token != config.session_token:
        errors.append("the session token is not the expected one (or missing, or unexpected)")
    signed = params["X-Amz-SignedHeaders"].split(";")
    if "host" not in signed:
        errors.append("host is not signed")
    for name in signed:
        if not headers.get_all(name):
            errors.append(f"signed header {name!r} was not received")
    if errors:
        return errors, {}

    url = f"http://{headers['host']}{path}" + (f"?{'&'.join(rest)}" if rest else "")
    request = AWSRequest(method=method, url=url, data=b"")
    for name in signed:
        for value in headers.get_all(name):
            request.headers[name] = value
    signer = RecordingS3Query(
        Credentials(config.access_key, config.secret_key, token), "s3", config.region,
        expires=int(expires),
    )
    with SIGNING_LOCK:
        original = botocore.auth.get_current_datetime
        botocore.auth.get_current_datetime = lambda *a, **k: when
        try:
            signer.add_auth(request)
        finally:
            botocore.auth.get_current_datetime = original
    expected = request.url.rsplit("X-Amz-Signature=", 1)[1]
    canonical_request, string_to_sign = signer.recorded
    report = {"canonical_request": canonical_request, "string_to_sign": string_to_sign}
    if expected != params["X-Amz-Signature"]:
        errors.append("signature does not match botocore's")
    return errors, report


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

    def _send(self, status, body=b"", content_type="application/octet-stream"):
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self):
        body = self._read_body()
        try:
            errors, report = verify(self.config, self.command, self.path, self.headers)
        except Exception as exc:  # report, do not hang the client
            errors, report = [f"verifier crashed: {exc!r}"], {}
        if errors:
            payload = json.dumps({"ok": False, "errors": errors, **report}).encode("utf-8")
            return self._send(403, payload, "application/json")
        path, _, query = self.path.partition("?")
        key = unquote_to_bytes(path)
        if self.command == "PUT":
            with OBJECTS_LOCK:
                OBJECTS[key] = (body, self.headers.get("content-type") or "binary/octet-stream")
            return self._send(200)
        if self.command == "DELETE":
            with OBJECTS_LOCK:
                OBJECTS.pop(key, None)
            return self._send(204)
        with OBJECTS_LOCK:
            found = OBJECTS.get(key)
        if found is None:
            return self._send(404, b"NoSuchKey", "text/plain")
        data, content_type = found
        for piece in query.split("&"):
            name, _, value = piece.partition("=")
            if name == "response-content-type":
                content_type = unquote(value)
        return self._send(200, data, content_type)

    do_GET = do_PUT = do_DELETE = do_HEAD = _handle

    def log_message(self, format, *args):
        if os.environ.get("S3_PRESIGN_SERVER_LOG"):
            sys.stderr.write("s3-presign-server: " + format % args + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--access-key", required=True)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--session-token")
    parser.add_argument("--exit-on-stdin-eof", action="store_true",
                        help="exit when stdin is closed (tests: the server dies with its parent)")
    config = parser.parse_args()
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
