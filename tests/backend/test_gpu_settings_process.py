"""GPU settings through a real backend process: a GPU asked for on a machine without one runs
on the CPU, and /face/status says so with what each session really got (the tiny stand-in
models of tests/face/onnx_models.py; no weights are downloaded)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.face.onnx_models import build_models

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def _face(tmp_path: Path, **extra: object) -> dict[str, object]:
    models = tmp_path / "models"
    build_models(models)
    return {
        "engine": "classic",  # switching to inswapper below loads it
        "models_dir": str(models),
        "sources_dir": str(tmp_path / "faces"),
        "state_dir": None,
        # the stand-ins are not the manifest's files: check none (tests/weights does)
        "models_manifest": str(tmp_path / "no-manifest.yaml"),
        **extra,
    }


def _engine_info(proc) -> dict:  # type: ignore[no-untyped-def]
    """inswapper's status once it has loaded (switching to it loads it)."""
    resp = requests.post(proc.url + "/face/settings", json={"engine": "inswapper"}, timeout=60)
    assert resp.status_code == 200, resp.text
    info = requests.get(proc.url + "/face/status", timeout=10).json()["engine_info"]
    assert info is not None
    return info


def test_a_gpu_asked_for_and_the_cpu_running_is_said(backend, backend_config, tmp_path) -> None:
    cfg = backend_config(
        face=_face(
            tmp_path,
            inswapper={"providers": ["cuda", "cpu"]},
            gpu={"device_id": 1, "memory_limit_mb": 2048, "cudnn_conv_algo_search": "DEFAULT"},
        )
    )
    proc = backend("--no-autostart", config=cfg)
    info = _engine_info(proc)
    assert info["provider"] == "CPUExecutionProvider"
    assert info["requested"] == ["cuda", "cpu"]
    assert info["unavailable_requested"] == ["CUDAExecutionProvider"]
    assert (
        "asked for CUDAExecutionProvider but running on CPUExecutionProvider"
        in (info["gpu_warning"])
    )
    # what the session got: no GPU provider, so no GPU options in force; the settings asked
    assert info["provider_options"] == {}
    assert info["gpu_settings"]["device_id"] == 1
    assert info["gpu_settings"]["memory_limit_mb"] == 2048
    # the same warning where the rest of the backend's health is read
    assert "running on CPUExecutionProvider" in proc.log


def test_auto_on_a_machine_without_a_gpu_warns_of_nothing(backend, backend_config, tmp_path):
    proc = backend("--no-autostart", config=backend_config(face=_face(tmp_path)))
    info = _engine_info(proc)
    assert info["provider"] == "CPUExecutionProvider"
    assert info["gpu_warning"] is None


def test_bad_gpu_settings_stop_the_start_with_the_field_named(backend_config, tmp_path) -> None:
    import subprocess
    import sys

    cfg = backend_config(face=_face(tmp_path, gpu={"cudnn_conv_algo_search": "FASTEST"}))
    out = subprocess.run(
        [sys.executable, "-m", "ar_backend", "--config", str(cfg), "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode != 0
    assert "face.gpu.cudnn_conv_algo_search" in out.stdout + out.stderr
