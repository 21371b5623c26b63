"""Fuzz the services' APIs with schemathesis, from their own OpenAPI documents, over HTTP.

Each run starts a real process, lets schemathesis's CLI (``st run``) send every operation
the cases it generates from the document (examples, boundary coverage, random fuzzing and
stateful sequences), and fails on a 5xx, an undocumented status, a non-JSON error or a
response that does not match its schema. Then the listings must still parse as strict JSON.
``ST_MAX_EXAMPLES`` and ``ST_MAX_TIME`` size the run (CI keeps the defaults).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)


@dataclass
class FuzzRun:
    returncode: int
    output: str
    operations: int
    cases: int

    def summary(self) -> str:
        return f"{self.operations} operations, {self.cases} cases"


def run_schemathesis(base_url: str, workdir: Path, *extra: str) -> FuzzRun:
    """Run ``st run`` on the service's /openapi.json with a bounded budget."""
    st = Path(sys.executable).with_name("st")
    max_examples = os.environ.get("ST_MAX_EXAMPLES", "40")
    max_time = os.environ.get("ST_MAX_TIME", "60")
    cmd = [
        str(st),
        "--config-file",
        str(Path(__file__).with_name("schemathesis.toml")),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        max_examples,
        "--max-time",
        max_time,
        "--request-timeout",
        "15",
        "--seed",
        os.environ.get("ST_SEED", "20261127"),
        "--no-color",
        "--warnings",
        "off",
        *extra,
    ]
    proc = subprocess.run(
        cmd, cwd=workdir, capture_output=True, text=True, timeout=int(max_time) + 240
    )
    out = proc.stdout + proc.stderr
    ops = re.search(r"Tested:\s+(\d+)", out)
    cases = re.search(r"(\d+) generated", out)
    run = FuzzRun(
        proc.returncode,
        out,
        int(ops.group(1)) if ops else 0,
        int(cases.group(1)) if cases else 0,
    )
    print(f"schemathesis on {base_url}: {run.summary()}, exit {run.returncode}")
    return run


def strict_json(text: str):  # type: ignore[no-untyped-def]
    def _refuse(name: str):  # type: ignore[no-untyped-def]
        raise AssertionError(f"{name} is not JSON")

    return json.loads(text, parse_constant=_refuse)
