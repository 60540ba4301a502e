#!/usr/bin/env python3
"""The official SDKs' wire, next to the crate's, on loopback.

Two modes, both driven by ``tests/bedrock_sdk_wire.rs`` (run by ``.ci/run`` with ``--ignored``;
plain ``cargo test`` never needs Python):

    python3 scripts/bedrock_sdk_wire.py serve --region us-east-1
        Binds 127.0.0.1 on a free port and prints it as its first stdout line. Every request
        is verified by tests/support/sigv4_verifier_server.py's botocore-based verifier (for
        the service and region in its own credential scope; the access key and region must be
        the expected ones) and recorded under the current label; verified requests are answered
        with an OpenAI- or Anthropic-shaped body so that the SDKs accept them. Control paths:
        ``POST /__label`` (body: the label for the requests that follow) and ``GET /__records``.
        Exits when its stdin closes.

    python3 scripts/bedrock_sdk_wire.py clients --port PORT --region us-east-1
        Makes one call per case with openai-python's Bedrock provider (runtime and Mantle) and
        anthropic-sdk-python's ``AnthropicBedrockMantle`` and ``AnthropicAWS``, each with static
        AWS credentials, to ``http://127.0.0.1:PORT``, labelling each ``sdk:<case>``.

Needs ``openai==3.63.0 anthropic==2.17.0 botocore`` (``.ci/run`` installs them). Keys here
are made-up test values.
"""

import argparse
import importlib.util
import json
import pathlib
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ACCESS_KEY = "AKIDSDKWIRE"
SECRET_KEY = "sdk-wire-secret"
WORKSPACE_ID = "wrkspc_sdkwire"
ROOT = pathlib.Path(__file__).resolve().parents[1]


def load_verifier():
    path = ROOT / "tests/support/sigv4_verifier_server.py"
    spec = importlib.util.spec_from_file_location("sigv4_verifier_server", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def answer_for(path: str) -> dict:
    """A minimal body of the API the path belongs to, enough for each SDK to parse."""
    now = int(time.time())
    if path.endswith("/messages"):
        return {
            "id": "msg_wire", "type": "message", "role": "assistant", "model": "claude-wire",
            "content": [{"type": "text", "text": "hello from loopback"}],
            "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 3, "output_tokens": 4},
        }
    if path.endswith("/chat/completions"):
        return {
            "id": "chatcmpl-wire", "object": "chat.completion", "created": now, "model": "wire",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": "hello from loopback"}}],
        }
    return {
        "id": "resp_wire", "object": "response", "created_at": now, "model": "wire",
        "status": "completed", "output": [{
            "type": "message", "id": "msg_wire", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": "hello from loopback", "annotations": []}],
        }],
        "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
    }


def serve(args) -> None:
    verifier = load_verifier()
    config = argparse.Namespace(access_key=ACCESS_KEY, secret_key=SECRET_KEY, region=args.region,
                                session_token=None)
    state = {"label": "unlabelled", "records": []}
    lock = threading.Lock()

    class Handler(verifier.Handler):
        def _handle(self):
            body = self._read_body()
            if self.path == "/__label":
                with lock:
                    state["label"] = body.decode()
                return self._reply(200, {"ok": True})
            if self.path == "/__records":
                with lock:
                    return self._reply(200, state["records"])
            try:
                ok, report = verifier.verify(config, self.command, self.path, self.headers, body)
            except Exception as exc:  # report, do not hang the client
                ok, report = False, {"errors": [f"verifier crashed: {exc!r}"]}
            scope = None
            auth = self.headers.get("authorization") or ""
            if "Credential=" in auth:
                scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")[1:]
            with lock:
                state["records"].append({
                    "label": state["label"],
                    "method": self.command,
                    "path": self.path,
                    "scope": scope,
                    # Header names, and the values of those the differential compares; never
                    # the signature itself.
                    "headers": sorted({name.lower() for name in self.headers.keys()}),
                    "values": {name: self.headers.get(name) for name in
                               ("anthropic-version", "anthropic-workspace-id", "content-type")
                               if self.headers.get(name) is not None},
                    "verified": ok,
                    "errors": report.get("errors", []),
                })
            if not ok:
                return self._reply(403, {"message": "signature did not verify", **report})
            self._reply(200, answer_for(self.path.split("?", 1)[0]))

        def _reply(self, status, payload):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _handle

    Handler.config = config
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)

    def exit_when_stdin_closes():
        while sys.stdin.buffer.read(4096):
            pass
        server.shutdown()

    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    server.serve_forever()


def clients(args) -> None:
    import httpx2
    from anthropic import AnthropicAWS, AnthropicBedrockMantle
    from openai import OpenAI
    from openai.providers import bedrock

    base = f"http://127.0.0.1:{args.port}"
    region = args.region
    aws = {"access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY}
    anthropic_aws = {"aws_access_key": ACCESS_KEY, "aws_secret_key": SECRET_KEY, "aws_region": region}
    message = {"model": "anthropic.claude-wire", "max_tokens": 16,
               "messages": [{"role": "user", "content": "Hello"}]}

    def label(name: str) -> None:
        httpx2.post(f"{base}/__label", content=f"sdk:{name}".encode()).raise_for_status()

    def openai_client(endpoint: str, path: str) -> OpenAI:
        provider = bedrock(endpoint=endpoint, region=region, base_url=f"{base}{path}", **aws)
        return OpenAI(provider=provider, max_retries=0)

    failures = []

    def case(name, call):
        label(name)
        try:
            call()
        except Exception as exc:  # the records say why; the Rust side reports it
            failures.append(f"{name}: {type(exc).__name__}: {exc}")

    runtime = openai_client("runtime", "/openai/v1")
    case("openai-runtime-responses", lambda: runtime.responses.create(model="wire", input="Hello"))
    case("openai-runtime-chat", lambda: runtime.chat.completions.create(
        model="wire", messages=[{"role": "user", "content": "Hello"}]))
    mantle = openai_client("mantle", "/v1")
    case("openai-mantle-responses", lambda: mantle.responses.create(model="wire", input="Hello"))
    mantle_openai = openai_client("mantle", "/openai/v1")
    case("openai-mantle-openai-responses",
         lambda: mantle_openai.responses.create(model="wire", input="Hello"))
    anthropic_mantle = AnthropicBedrockMantle(base_url=f"{base}/anthropic", max_retries=0,
                                              **anthropic_aws)
    case("anthropic-mantle-messages", lambda: anthropic_mantle.messages.create(**message))
    claude_platform = AnthropicAWS(base_url=base, workspace_id=WORKSPACE_ID, max_retries=0,
                                   **anthropic_aws)
    case("anthropic-aws-messages", lambda: claude_platform.messages.create(**message))
    for failure in failures:
        print(f"wire-failure: {failure}", file=sys.stderr)
    if failures:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--region", required=True)
    c = sub.add_parser("clients")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--region", required=True)
    args = parser.parse_args()
    serve(args) if args.mode == "serve" else clients(args)


if __name__ == "__main__":
    main()
