"""The live audio path through PortAudio: a real stream on a PulseAudio null sink (a real
backend process). A missing device and the bad-input table run in process, in
``test_chain_api.py``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import requests
import yaml

from ar_backend.audio.wavio import write_wav
from tests.procs import wait_for
from tests.pulse import null_sink

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pulse():
    """A PulseAudio server with a null sink 'ar_test_mic'; its monitor is the default input."""
    with null_sink("ar_test_mic") as sink:
        yield sink


def backend_with(spawn, tmp_path: Path, audio: dict):  # type: ignore[no-untyped-def]
    cfg = tmp_path / "backend.yaml"
    cfg.write_text(yaml.safe_dump({"monitor": {"enabled": False}, "audio": audio}))
    return spawn("ar_backend", ["--config", str(cfg), "--no-autostart"], health_path="/health")


def test_a_real_stream_runs_the_chain(spawn, tmp_path: Path, pulse: str) -> None:
    be = backend_with(spawn, tmp_path, {"input_device": "pulse", "output_device": "pulse"})
    resp = requests.post(be.url + "/audio/start", timeout=20)
    assert resp.status_code == 200, resp.text
    assert resp.json()["state"] == "running"
    tone = tmp_path / "tone.wav"
    t = np.arange(48000 * 4) / 48000
    write_wav(tone, (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 48000)
    player = subprocess.Popen(["paplay", f"--device={pulse}", str(tone)])
    try:

        def status() -> dict:
            return requests.get(be.url + "/audio/status", timeout=5).json()

        wait_for(lambda: (status()["level_dbfs"] or -120) > -30, timeout=10)  # the voice arrives
        first = status()["blocks"]
        change = requests.post(
            be.url + "/audio/effect", timeout=5, json={"type": "pitch", "params": {"semitones": 5}}
        )
        assert change.status_code == 200  # changed while it runs
        wait_for(lambda: status()["blocks"] > first + 20, timeout=10)
        s = status()
        assert s["stream_latency_ms"] is not None
        assert [e["type"] for e in s["effects"]] == ["pitch"]
        assert requests.get(be.url + "/status", timeout=5).json()["audio"]["state"] == "running"
    finally:
        player.kill()
    assert requests.post(be.url + "/audio/stop", timeout=10).json()["state"] == "stopped"
