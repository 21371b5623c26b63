"""GPU settings through the backend's API: a GPU asked for on a machine without one runs on
the CPU, and /face/status says so with what each session really got (the tiny stand-in
models of tests/face/onnx_models.py; no weights are downloaded). Each test runs in this
process (``create_app`` and the test client, its log through ``caplog``) and, in the full
suite, against a real backend process and its log file (tests/cli.py's ``WAYS``)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.cli import WAYS, command_line
from tests.face.onnx_models import build_models

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

Call = Callable[[str, str, dict[str, Any] | None], tuple[int, Any]]
Started = tuple[Call, Callable[[], str]]


def _face(tmp_path: Path, **extra: object) -> dict[str, Any]:
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


@pytest.fixture(params=WAYS)
def start(  # type: ignore[no-untyped-def]
    request: pytest.FixtureRequest, make_studio, backend, backend_config, caplog
) -> Callable[..., Started]:
    """``start(**face)``: a backend with these face settings, as (call, log): ``call(method,
    path, body)`` answers (status, JSON); ``log()`` is what it has logged so far."""

    def _start(**face: Any) -> Started:
        if request.param == "process":
            proc = backend("--no-autostart", config=backend_config(face=face))

            def over_http(method: str, path: str, body: dict[str, Any] | None) -> tuple[int, Any]:
                resp = requests.request(method, proc.url + path, json=body, timeout=60)
                return resp.status_code, resp.json()

            return over_http, lambda: proc.log
        client, _studio = make_studio(face=face)

        def in_process(method: str, path: str, body: dict[str, Any] | None) -> tuple[int, Any]:
            resp = client.open(path, method=method, json=body)
            return resp.status_code, resp.get_json()

        return in_process, lambda: caplog.text

    return _start


def _engine_info(call: Call) -> dict[str, Any]:
    """inswapper's status once it has loaded (switching to it loads it)."""
    status, answer = call("POST", "/face/settings", {"engine": "inswapper"})
    assert status == 200, answer
    info = call("GET", "/face/status", None)[1]["engine_info"]
    assert info is not None
    return info  # type: ignore[no-any-return]


def test_a_gpu_asked_for_and_the_cpu_running_is_said(
    start: Callable[..., Started], tmp_path: Path
) -> None:
    call, log = start(
        **_face(
            tmp_path,
            inswapper={"providers": ["cuda", "cpu"]},
            gpu={"device_id": 1, "memory_limit_mb": 2048, "cudnn_conv_algo_search": "DEFAULT"},
        )
    )
    info = _engine_info(call)
    assert info["provider"] == "CPUExecutionProvider"
    assert info["requested"] == ["cuda", "cpu"]
    assert info["unavailable_requested"] == ["CUDAExecutionProvider"]
    assert (
        "asked for CUDAExecutionProvider but running on CPUExecutionProvider"
        in (info["gpu_warning"])
    )
    assert info["gpu_warning_key"] == "gpu.cpu_fallback"  # (the window says it in Chinese)
    assert info["gpu_warning_args"]["running"] == "CPUExecutionProvider"
    # what the session got: no GPU provider, so no GPU options in force; the settings asked
    assert info["provider_options"] == {}
    assert info["gpu_settings"]["device_id"] == 1
    assert info["gpu_settings"]["memory_limit_mb"] == 2048
    # the same warning where the rest of the backend's health is read
    assert "running on CPUExecutionProvider" in log()


def test_auto_on_a_machine_without_a_gpu_warns_of_nothing(
    start: Callable[..., Started], tmp_path: Path
) -> None:
    call, _log = start(**_face(tmp_path))
    info = _engine_info(call)
    assert info["provider"] == "CPUExecutionProvider"
    assert info["gpu_warning"] is None


@pytest.mark.parametrize("way", WAYS)
def test_bad_gpu_settings_stop_the_start_with_the_field_named(  # type: ignore[no-untyped-def]
    backend_config, tmp_path: Path, way: str
) -> None:
    cfg = backend_config(face=_face(tmp_path, gpu={"cudnn_conv_algo_search": "FASTEST"}))
    with socket.socket() as held:  # (were the settings taken, the start stops at the port)
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = str(held.getsockname()[1])
        out = command_line(way, "ar_backend")("--config", cfg, "--port", port, timeout=60)
    assert out.returncode == 2
    assert "face.gpu.cudnn_conv_algo_search" in out.stdout + out.stderr
