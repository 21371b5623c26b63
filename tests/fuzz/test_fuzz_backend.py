"""schemathesis against a real backend process; it must keep serving afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.backend.conftest import start_backend
from tests.fuzz.conftest import run_schemathesis, strict_json

pytestmark = pytest.mark.slow


@pytest.fixture
def backend(tmp_path: Path):
    proc = start_backend(tmp_path)  # started: it answers /health
    yield proc
    proc.kill()


def test_every_backend_operation_survives_fuzzing(backend, tmp_path: Path) -> None:
    # the live preview never ends (a stream): it has its own tests (tests/backend)
    run = run_schemathesis(backend.url, tmp_path, "--exclude-path", "/video_feed")
    assert run.operations >= 30, run.output[-3000:]
    assert run.returncode == 0, run.output[-6000:]
    assert "Traceback" not in backend.log, backend.log[-4000:]
    for path in ("/status", "/camera/status", "/face/status", "/audio/status", "/health"):
        resp = requests.get(backend.url + path, timeout=10)
        assert resp.status_code == 200, (path, resp.text)
        strict_json(resp.text)
    # the camera still starts and delivers after whatever the fuzzer left it in
    assert requests.post(f"{backend.url}/camera/start", json={"source": "demo"}, timeout=10).ok
    requests.post(f"{backend.url}/face/stop", timeout=10)
    snap = None
    for _ in range(50):
        snap = requests.get(f"{backend.url}/snapshot.jpg", timeout=10)
        if snap.status_code == 200:
            break
    assert snap is not None and snap.headers["Content-Type"] == "image/jpeg"
