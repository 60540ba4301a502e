#!/usr/bin/env python3
"""Run openai-python's Bedrock host parser over a table of hosts.

Writes ``tests/fixtures/bedrock_hosts/hosts.json``: for every host, what
``openai.providers.bedrock._parse_bedrock_endpoint_hostname`` answers (``null``, or the
endpoint family and region). ``src/bedrock/host.rs`` tests the crate's grammar against it:
the two must agree on every host, except where the crate knows more (Mantle FIPS, which
openai-python does not know, and Claude Platform on AWS, which is no OpenAI endpoint).

    pip install openai==3.63.0
    python3 scripts/bedrock_hosts.py           # write the fixture
    python3 scripts/bedrock_hosts.py --check   # CI: fail if the fixture is stale

Run from the crate root. Hosts are written as they reach the crate (a URL's host: ASCII, no
port), in any case and with or without the one trailing dot both parsers ignore.
"""

import json
import pathlib
import sys

import openai
from openai.providers.bedrock import _parse_bedrock_endpoint_hostname as parse

OPENAI_VERSION = "3.63.0"
OUT = pathlib.Path("tests/fixtures/bedrock_hosts/hosts.json")

# (region, runtime DNS suffix, runtime dual-stack suffix), one region or two per partition.
PARTITIONS = [
    ("us-east-1", "amazonaws.com", "api.aws"),
    ("eu-central-1", "amazonaws.com", "api.aws"),
    ("ap-southeast-2", "amazonaws.com", "api.aws"),
    ("us-gov-west-1", "amazonaws.com", "api.aws"),
    ("mx-central-1", "amazonaws.com", "api.aws"),
    ("cn-north-1", "amazonaws.com.cn", "api.amazonwebservices.com.cn"),
    ("cn-northwest-1", "amazonaws.com.cn", "api.amazonwebservices.com.cn"),
    ("eusc-de-east-1", "amazonaws.eu", "api.amazonwebservices.eu"),
    ("us-iso-east-1", "c2s.ic.gov", "api.aws.ic.gov"),
    ("us-iso-west-1", "c2s.ic.gov", "api.aws.ic.gov"),
    ("us-isob-east-1", "sc2s.sgov.gov", "api.aws.scloud"),
    ("eu-isoe-west-1", "cloud.adc-e.uk", "api.cloud-aws.adc-e.uk"),
    ("us-isof-south-1", "csp.hci.ic.gov", "api.aws.hci.ic.gov"),
    ("us-isof-east-1", "csp.hci.ic.gov", "api.aws.hci.ic.gov"),
]
ALL_SUFFIXES = sorted({s for _, dns, dual in PARTITIONS for s in (dns, dual)})


def hosts() -> list[str]:
    out: list[str] = []
    for region, dns, dual in PARTITIONS:
        for service in ("bedrock-runtime", "bedrock-runtime-fips"):
            out += [f"{service}.{region}.{dns}", f"{service}.{region}.{dual}"]
            # Another partition's suffix: each region has only its own.
            out += [f"{service}.{region}.{s}" for s in ALL_SUFFIXES if s not in (dns, dual)]
        for service in ("bedrock-mantle", "bedrock-mantle-fips", "aws-external-anthropic",
                        "aws-external-anthropic-fips"):
            out += [f"{service}.{region}.api.aws", f"{service}.{region}.{dns}"]
    # Case and one trailing dot are ignored; anything else is another host.
    out += [
        "BEDROCK-RUNTIME.US-EAST-1.AMAZONAWS.COM",
        "Bedrock-Mantle.Us-West-2.Api.Aws",
        "bedrock-runtime.us-east-1.amazonaws.com.",
        "bedrock-mantle.us-west-2.api.aws.",
        "aws-external-anthropic.us-east-1.api.aws.",
        "bedrock-runtime.us-east-1.amazonaws.com..",
        "bedrock-mantle.us-west-2.api.aws..",
        ".bedrock-runtime.us-east-1.amazonaws.com",
    ]
    # Lookalikes: one label more or less, a prefix or suffix glued on, a near-miss service name.
    out += [
        "bedrock-runtime.us-east-1.amazonaws.com.evil.example",
        "bedrock-runtime.us-east-1.amazonaws.com.cn.evil.example",
        "bedrock-mantle.us-west-2.api.aws.evil.example",
        "bedrock-mantle.us-west-2.api.awsx",
        "bedrock-mantle.us-west-2.xapi.aws",
        "bedrock-runtime.us-east-1.amazonaws.co",
        "bedrock-runtime.us-east-1.amazonaws.comx",
        "bedrock-runtime.us-east-1.amazonaws.com-evil.example",
        "evil.bedrock-runtime.us-east-1.amazonaws.com",
        "evil-bedrock-runtime.us-east-1.amazonaws.com",
        "bedrock-runtime-evil.us-east-1.amazonaws.com",
        "bedrock-runtimes.us-east-1.amazonaws.com",
        "bedrock-runtime-fips-fips.us-east-1.amazonaws.com",
        "fips-bedrock-runtime.us-east-1.amazonaws.com",
        "bedrock.us-east-1.amazonaws.com",
        "bedrock-agent-runtime.us-east-1.amazonaws.com",
        "bedrock-runtime.amazonaws.com",
        "bedrock-runtime.us-east-1",
        "bedrock-runtime",
        "bedrock-mantle.api.aws",
        "bedrock-mantle.us-west-2",
        "bedrock-mantle..api.aws",
        "bedrock-runtime..amazonaws.com",
        "bedrock-runtime.us-east-1.evil.amazonaws.com",
        "bedrock-runtime.us-east-1.fips.amazonaws.com",
        "bedrock-runtime.fips.us-east-1.amazonaws.com",
        "bedrock-runtime.us-east-1.dualstack.amazonaws.com",
        "bedrock-runtime.dualstack.us-east-1.amazonaws.com",
        "aws-external-anthropic.us-east-1.api.aws.evil.example",
        "evil.aws-external-anthropic.us-east-1.api.aws",
        "aws-external-anthropics.us-east-1.api.aws",
        "bedrock_runtime.us-east-1.amazonaws.com",
        "bedrock-runtime.us_east_1.amazonaws.com",
        "example.com",
        "localhost",
        "127.0.0.1",
        "api.aws",
        "amazonaws.com",
        "",
        ".",
    ]
    # Region labels: openai-python wants ^[a-z]{2,8}(-[a-z0-9]+)+-\d+$.
    for region in [
        "us-east", "useast1", "us-east-1a", "us-east-01", "us-east-1-", "-us-east-1", "us--1",
        "us-1", "u-east-1", "abcdefgh-east-1", "abcdefghi-east-1", "us-east-east-1",
        "us-9-1", "1s-east-1", "us-east-123456", "us-east-x1", "local", "a", "xx-yy-0",
    ]:
        out += [f"bedrock-runtime.{region}.amazonaws.com", f"bedrock-mantle.{region}.api.aws",
                f"aws-external-anthropic.{region}.api.aws"]
    seen: set[str] = set()
    return [h for h in out if not (h in seen or seen.add(h))]


def table() -> dict:
    if openai.__version__ != OPENAI_VERSION:
        sys.exit(f"openai {openai.__version__} is installed; this fixture is made with {OPENAI_VERSION}")
    cases = []
    for host in hosts():
        answer = parse(host)
        cases.append({
            "host": host,
            "openai": None if answer is None else {"endpoint": answer[0], "region": answer[1]},
        })
    return {
        "generator": "scripts/bedrock_hosts.py",
        "parser": "openai.providers.bedrock._parse_bedrock_endpoint_hostname",
        "openai_version": OPENAI_VERSION,
        "cases": cases,
    }


def main() -> int:
    text = json.dumps(table(), indent=1) + "\n"
    if sys.argv[1:] == ["--check"]:
        if OUT.read_text() != text:
            print(f"{OUT} is stale: run python3 scripts/bedrock_hosts.py and review", file=sys.stderr)
            return 1
        print(f"{OUT}: openai=={OPENAI_VERSION} agrees with the checked-in fixture")
        return 0
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
