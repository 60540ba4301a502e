#!/usr/bin/env python3
"""Check (or copy in) openai-python's Bedrock authentication fixtures.

The wheel of ``openai`` ships no tests, so the pinned source distribution is downloaded from
the package registry with pip and its ``tests/fixtures/bedrock_auth/v1/`` is compared with
``tests/fixtures/openai_bedrock/bedrock_auth/v1/``:

    python3 scripts/bedrock_cases.py --check   # CI: fail if the checked-in copy differs
    python3 scripts/bedrock_cases.py --write   # after changing OPENAI_VERSION

Run from the crate root.
"""

import pathlib
import subprocess
import sys
import tarfile
import tempfile

OPENAI_VERSION = "3.63.0"
FILES = ("cases.json", "schema.json")
UPSTREAM = "tests/fixtures/bedrock_auth/v1"
HERE = pathlib.Path("tests/fixtures/openai_bedrock/bedrock_auth/v1")


def upstream_files() -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
             "--no-deps", "--no-binary", ":all:", f"openai=={OPENAI_VERSION}", "-d", tmp],
            check=True,
        )
        (sdist,) = pathlib.Path(tmp).glob("openai-*.tar.gz")
        with tarfile.open(sdist) as archive:
            root = f"openai-{OPENAI_VERSION}"
            return {
                name: archive.extractfile(f"{root}/{UPSTREAM}/{name}").read()  # type: ignore[union-attr]
                for name in FILES
            }


def main() -> int:
    if len(sys.argv) != 2 or sys.argv[1] not in ("--check", "--write"):
        print(__doc__, file=sys.stderr)
        return 2
    files = upstream_files()
    if sys.argv[1] == "--write":
        HERE.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (HERE / name).write_bytes(data)
        return 0
    stale = [name for name, data in files.items() if (HERE / name).read_bytes() != data]
    if stale:
        print(f"{', '.join(stale)} differ from openai=={OPENAI_VERSION}: run --write and review", file=sys.stderr)
        return 1
    print(f"openai=={OPENAI_VERSION} Bedrock fixtures: checked-in copy matches")
    return 0


if __name__ == "__main__":
    sys.exit(main())
