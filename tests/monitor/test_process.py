"""The monitor as a real process: HTTP cycle, restart with nothing lost, SIGTERM, checks."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
import yaml

from tests.procs import ROOT, wait_for

pytestmark = pytest.mark.slow

FAST = {
    "YL_MONITOR__NODES__TYPE_INTERVALS__TEST": "0.5",
    "YL_MONITOR__NODES__GRACE": "0.2",
    "YL_MONITOR__NODES__OFFLINE_AFTER_MISSED": "2",
    "YL_MONITOR__ALERTS__EVALUATE_INTERVAL": "0.1",
    "YL_MONITOR__ALERTS__RESOLVE_HOLD": "0",
}


def test_cycle_over_http_and_restart_keeps_everything(spawn, db_url: str) -> None:
    db = db_url
    mon = spawn("yl_monitor", ["--db", db, "--no-checks"], env=FAST)
    url = mon.url
    reg = requests.post(
        f"{url}/api/ar/nodes/register",
        json={"node_id": "gui-1", "node_name": "GUI", "node_type": "test"},
        timeout=5,
    )
    assert reg.status_code == 200
    beat = requests.post(
        f"{url}/api/ar/nodes/gui-1/heartbeat",
        json={"status": "running", "resources": {"cpu_percent": 3.5, "memory_mb": 99.0}},
        timeout=5,
    )
    assert beat.status_code == 200
    assert requests.get(f"{url}/api/ar/nodes/gui-1", timeout=5).json()["state"] == "online"

    # no more beats: the evaluator thread takes it late, then offline, and opens an alert
    alerts = wait_for(
        lambda: requests.get(f"{url}/api/alerts", timeout=5).json()["alerts"], timeout=10
    )
    assert alerts[0]["cause"] == "offline"
    alert_id = alerts[0]["id"]
    ack = requests.post(
        f"{url}/api/alerts/{alert_id}/acknowledge",
        json={"by": "alice", "reason": "PC off for the night", "until": "2099-01-01T00:00:00Z"},
        timeout=5,
    )
    assert ack.status_code == 200

    assert mon.stop(signal.SIGTERM) == 0
    assert "every accepted beat is committed" in mon.log

    again = spawn("yl_monitor", ["--db", db, "--no-checks"], env=FAST)
    node = requests.get(f"{again.url}/api/ar/nodes/gui-1", timeout=5).json()
    assert node["node_name"] == "GUI"
    assert node["beats_received"] == 1
    assert node["state"] == "offline"
    assert [e["to"] for e in reversed(node["events"])] == ["online", "late", "offline"]
    alerts = requests.get(f"{again.url}/api/alerts", timeout=5).json()["alerts"]
    assert [a["id"] for a in alerts] == [alert_id]
    assert alerts[0]["status"] == "acknowledged"
    assert alerts[0]["acknowledgement"]["by"] == "alice"
    assert alerts[0]["acknowledgement"]["reason"] == "PC off for the night"
    assert alerts[0]["acknowledgement"]["until"].startswith("2099-01-01")


def test_sigterm_loses_no_accepted_beat(spawn, tmp_path: Path) -> None:
    db_file = tmp_path / "mon.db"
    mon = spawn("yl_monitor", ["--db", f"sqlite:///{db_file}", "--no-checks"])
    accepted = 0
    lock = threading.Lock()
    stop = threading.Event()

    def sender(n: int) -> None:
        nonlocal accepted
        session = requests.Session()
        i = 0
        while not stop.is_set():
            try:
                resp = session.post(
                    f"{mon.url}/api/ar/nodes/load-{n}-{i % 5}/heartbeat", json={}, timeout=5
                )
            except requests.RequestException:
                return
            if resp.status_code == 200:
                with lock:
                    accepted += 1
            i += 1

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    wait_for(lambda: accepted >= 200, timeout=20, interval=0.02)
    assert mon.stop(signal.SIGTERM) == 0
    stop.set()
    for t in threads:
        t.join(10)
    with sqlite3.connect(db_file) as conn:
        stored = conn.execute("SELECT count(*) FROM beats").fetchone()[0]
    assert accepted > 0
    assert stored >= accepted  # every 200 is on disk (a beat cut off mid-answer may be too)


def test_bad_config_is_refused_with_the_key_named(spawn, tmp_path: Path) -> None:
    cfg = tmp_path / "monitor.yaml"
    cfg.write_text("server:\n  prot: 5500\n")
    with pytest.raises(RuntimeError, match=r"server\.prot"):
        spawn("yl_monitor", ["--config", str(cfg)])


def test_port_in_use_names_the_holder(spawn, tmp_path: Path) -> None:
    first = spawn("yl_monitor", ["--db", f"sqlite:///{tmp_path / 'a.db'}", "--no-checks"])
    second = subprocess.run(
        [
            sys.executable,
            "-m",
            "yl_monitor",
            "--port",
            str(first.port),
            "--no-checks",
            "--db",
            f"sqlite:///{tmp_path / 'b.db'}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert second.returncode == 3
    assert f"port {first.port} on 127.0.0.1 is already in use by python" in second.stderr


def test_active_checks_follow_a_real_service(spawn, tmp_path: Path) -> None:
    """A polled service that stops answering goes late, then offline, with an alert."""
    service = spawn("yl_monitor", ["--db", f"sqlite:///{tmp_path / 'svc.db'}", "--no-checks"])
    services = {
        "services": {
            "ar-backend": {
                "name": "AR-backend (a real monitor process standing in)",
                "host": "127.0.0.1",
                "port": service.port,
                "health_endpoint": "/api/health",
                "timeout": 1,
                "retry": 0,
            }
        },
        "discovery": {"enabled": True, "interval": 0.3, "timeout": 1},
    }
    (tmp_path / "services.yaml").write_text(yaml.safe_dump(services))
    config = {
        "storage": {"url": f"sqlite:///{tmp_path / 'mon.db'}"},
        "nodes": {"type_intervals": {"ar-backend": 0.3}, "grace": 0.2, "offline_after_missed": 3},
        "alerts": {"evaluate_interval": 0.1, "resolve_hold": 0},
        "checks": {"services_file": "services.yaml", "failures_before_alert": 1},
    }
    (tmp_path / "monitor.yaml").write_text(yaml.safe_dump(config))
    mon = spawn("yl_monitor", ["--config", str(tmp_path / "monitor.yaml")])

    def node_state() -> str:
        return requests.get(f"{mon.url}/api/ar/nodes/ar-backend", timeout=5).json()["state"]

    wait_for(lambda: requests.get(f"{mon.url}/api/ar/nodes", timeout=5).json()["count"] == 1)
    wait_for(lambda: node_state() == "online")
    service.kill()
    seen = set()
    wait_for(lambda: seen.add(node_state()) or "offline" in seen, timeout=15, interval=0.05)
    assert "late" in seen

    def causes() -> set[str]:
        alerts = requests.get(f"{mon.url}/api/alerts", timeout=5).json()["alerts"]
        return {a["cause"] for a in alerts}

    wait_for(lambda: causes() == {"health_check", "offline"}, timeout=5)
    node = requests.get(f"{mon.url}/api/ar/nodes/ar-backend", timeout=5).json()
    assert node["health_check"]["ok"] is False
    assert "cannot connect" in node["health_check"]["error"]

    # it comes back on the same port: online again, and both alerts resolve themselves
    spawn(
        "yl_monitor",
        ["--db", f"sqlite:///{tmp_path / 'svc.db'}", "--no-checks"],
        port=service.port,
    )
    wait_for(lambda: node_state() == "online")
    wait_for(lambda: requests.get(f"{mon.url}/api/alerts", timeout=5).json()["alerts"] == [])


def test_dead_worker_and_ingest_process_are_replaced(spawn, tmp_path: Path) -> None:
    """kill -9 a worker or the ingest process: the supervisor starts it again."""
    import os

    import psutil

    mon = spawn(
        "yl_monitor",
        ["--db", f"sqlite:///{tmp_path / 'm.db'}", "--no-checks", "--workers", "2"],
    )
    parent = psutil.Process(mon.proc.pid)
    before = {c.pid for c in parent.children()}
    assert len(before) == 3  # two HTTP workers and the ingest process
    for victim in sorted(before):
        os.kill(victim, signal.SIGKILL)
        wait_for(
            lambda v=victim: (
                v not in {c.pid for c in parent.children()} and len(parent.children()) == 3
            ),
            timeout=15,
        )
        beat = wait_for(
            lambda: (
                requests.post(
                    f"{mon.url}/api/ar/nodes/n1/heartbeat", json={}, timeout=10
                ).status_code
                == 200
            ),
            timeout=15,
        )
        assert beat
    assert "died with -9; starting it again" in mon.log
    node = requests.get(f"{mon.url}/api/ar/nodes/n1", timeout=5).json()
    assert node["beats_received"] >= 3
    assert mon.stop(signal.SIGTERM) == 0
