"""What systemd sees and does: READY/WATCHDOG/STOPPING notifications, SIGHUP reloads."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import pytest
import requests
import yaml

from tests.procs import wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def notify_socket(tmp_path: Path):
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(0.2)
    yield path, sock
    sock.close()


def received(sock: socket.socket, until: float) -> list[str]:
    messages: list[str] = []
    while time.monotonic() < until:
        try:
            messages.extend(sock.recv(4096).decode().split("\n"))
        except TimeoutError:
            continue
    return messages


def test_monitor_speaks_systemd_notify(spawn, tmp_path: Path, notify_socket) -> None:
    path, sock = notify_socket
    mon = spawn(
        "yl_monitor",
        ["--db", f"sqlite:///{tmp_path / 'm.db'}", "--no-checks"],
        env={"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "400000"},
    )
    messages = received(sock, time.monotonic() + 1.5)
    assert "READY=1" in messages
    assert messages.count("WATCHDOG=1") >= 3  # petted every 0.2 s while healthy
    assert mon.stop(signal.SIGTERM) == 0
    assert "STOPPING=1" in received(sock, time.monotonic() + 0.5)


def test_sighup_reloads_a_changed_setting(spawn, tmp_path: Path) -> None:
    cfg_path = tmp_path / "monitor.yaml"
    config = {
        "storage": {"url": f"sqlite:///{tmp_path / 'm.db'}"},
        "checks": {"enabled": False},
        "nodes": {"type_intervals": {"kiosk": 5}},
    }
    cfg_path.write_text(yaml.safe_dump(config))
    mon = spawn("yl_monitor", ["--config", str(cfg_path)])
    requests.post(f"{mon.url}/api/ar/nodes/k1/heartbeat", json={"node_type": "kiosk"}, timeout=5)

    def interval() -> float:
        return requests.get(f"{mon.url}/api/ar/nodes/k1", timeout=5).json()["expected_interval"]

    assert interval() == 5
    config["nodes"]["type_intervals"]["kiosk"] = 7
    cfg_path.write_text(yaml.safe_dump(config))
    mon.proc.send_signal(signal.SIGHUP)
    # every worker reloads: a run of answers (from either worker) all say 7
    wait_for(lambda: all(interval() == 7 for _ in range(6)), timeout=10)
    assert "configuration reloaded" in mon.log

    cfg_path.write_text("nodes: {grace: -1}\n")  # a broken edit: the running config stays
    mon.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "reload failed; the running configuration stays" in mon.log, timeout=10)
    assert interval() == 7
    assert requests.get(f"{mon.url}/api/health", timeout=5).status_code == 200


def test_backend_reload_keeps_the_stream(spawn, tmp_path: Path) -> None:
    cfg_path = tmp_path / "backend.yaml"
    config = {"monitor": {"enabled": False}, "outputs": {"jpeg_quality": 90}}
    cfg_path.write_text(yaml.safe_dump(config))
    be = spawn("ar_backend", ["--config", str(cfg_path), "--source", "demo"], health_path="/health")

    def snapshot_size() -> int:
        return len(requests.get(be.url + "/snapshot.jpg", timeout=5).content)

    wait_for(lambda: requests.get(be.url + "/snapshot.jpg", timeout=5).status_code == 200)
    before = snapshot_size()
    started = requests.get(be.url + "/camera/status", timeout=5).json()["started_at"]
    config["outputs"]["jpeg_quality"] = 20
    cfg_path.write_text(yaml.safe_dump(config))
    be.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: snapshot_size() < before * 0.6, timeout=10)
    status = requests.get(be.url + "/camera/status", timeout=5).json()
    assert status["state"] == "running"
    assert status["started_at"] == started  # the same stream, never restarted
