"""The HTTP edge of the real processes: hostile pages, rebound names, waitress's own refusals."""

from __future__ import annotations

import json
import socket

import pytest
import requests

from tests.backend.conftest import start_backend
from tests.procs import ServiceProcess

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("edge")
    cfg = tmp / "monitor.yaml"
    cfg.write_text(
        f"storage: {{url: 'sqlite:///{tmp / 'mon.db'}'}}\nchecks: {{enabled: false}}\n"
        "server: {workers: 1}\n"
    )
    monitor = ServiceProcess("yl_monitor", ["--config", str(cfg)], log_path=tmp / "mon.log")
    backend = start_backend(tmp)
    monitor.start()
    backend.start()
    yield monitor, backend
    monitor.kill()
    backend.kill()


def _raw(port: int, request: bytes) -> tuple[int, str, dict]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        data = b""
        try:
            sock.sendall(request)
            while chunk := sock.recv(65536):
                data += chunk
        except (ConnectionResetError, BrokenPipeError):
            pass  # the server answered and closed before reading everything we sent
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers.get("Content-Type", ""), json.loads(body)


def test_a_foreign_page_cannot_stop_the_camera_or_pause_a_node(services) -> None:
    """The probe's attack: a JSON POST sent as text/plain (no preflight) from evil.example."""
    monitor, backend = services
    requests.post(f"{monitor.url}/api/ar/nodes/n1/heartbeat", json={}, timeout=10)
    requests.post(f"{backend.url}/camera/start", json={"source": "demo"}, timeout=10)
    evil = {"Origin": "http://evil.example", "Content-Type": "text/plain"}
    resp = requests.post(f"{backend.url}/camera/stop", data="{}", headers=evil, timeout=10)
    assert resp.status_code == 403 and resp.json()["field"] == "Origin"
    resp = requests.post(
        f"{monitor.url}/api/ar/nodes/n1/pause", data="{}", headers=evil, timeout=10
    )
    assert resp.status_code == 403
    assert requests.get(f"{backend.url}/camera/status", timeout=10).json()["state"] != "stopped"
    node = requests.get(f"{monitor.url}/api/ar/nodes/n1", timeout=10).json()
    assert node["paused"] is False
    # without an Origin (curl, scripts), text/plain bodies are still not JSON: 415
    resp = requests.post(
        f"{backend.url}/camera/start",
        data='{"source": "demo"}',
        headers={"Content-Type": "text/plain"},
        timeout=10,
    )
    assert resp.status_code == 415


def test_a_rebound_name_reaches_neither_service(services) -> None:
    for svc, path in ((services[0], "/api/ar/nodes"), (services[1], "/status")):
        resp = requests.get(svc.url + path, headers={"Host": "attacker.example"}, timeout=10)
        assert resp.status_code == 400 and resp.json()["field"] == "Host"


@pytest.mark.parametrize("which", [0, 1])
def test_waitress_refusals_are_json(services, which: int) -> None:
    port = services[which].port
    big = b"X-Big: " + b"a" * 300_000 + b"\r\n"
    code, ctype, body = _raw(
        port, b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" + big + b"\r\n"
    )
    assert code == 431 and ctype == "application/json" and body["code"] == 431
    code, ctype, body = _raw(
        port, b"GET / HTTP/1.1 extra\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    assert code == 400 and ctype == "application/json"
    chunked = (
        b"POST /camera/stop HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
    )
    code, ctype, body = _raw(port, chunked)
    assert code == 400 and ctype == "application/json" and body["error"] == "Bad Request"
