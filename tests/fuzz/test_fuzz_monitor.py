"""schemathesis against a real monitor process; the listings must survive it."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.fuzz.conftest import run_schemathesis, strict_json
from tests.procs import ServiceProcess

pytestmark = pytest.mark.slow


@pytest.fixture
def monitor(tmp_path: Path):
    cfg = tmp_path / "monitor.yaml"
    cfg.write_text(
        f"storage: {{url: 'sqlite:///{tmp_path / 'mon.db'}'}}\n"
        "checks: {enabled: false}\nserver: {workers: 1}\n"
    )
    proc = ServiceProcess("yl_monitor", ["--config", str(cfg)], log_path=tmp_path / "mon.log")
    proc.start()
    yield proc
    proc.kill()


def test_every_monitor_operation_survives_fuzzing(monitor, tmp_path: Path) -> None:
    run = run_schemathesis(monitor.url, tmp_path)
    assert run.operations >= 14, run.output[-3000:]
    assert run.returncode == 0, run.output[-6000:]
    assert "Traceback" not in monitor.log, monitor.log[-4000:]
    # whatever was accepted, every listing still parses as strict JSON
    nodes = strict_json(requests.get(f"{monitor.url}/api/ar/nodes", timeout=10).text)
    assert nodes["count"] > 0  # the fuzzer's beats were stored
    for node in nodes["nodes"][:50]:
        for path in ("", "/history"):
            resp = requests.get(f"{monitor.url}/api/ar/nodes/{node['node_id']}{path}", timeout=10)
            assert resp.status_code == 200, resp.text
            strict_json(resp.text)
    for status in ("all", "open"):
        resp = requests.get(f"{monitor.url}/api/alerts", params={"status": status}, timeout=10)
        strict_json(resp.text)
    strict_json(requests.get(f"{monitor.url}/api/status", timeout=10).text)
