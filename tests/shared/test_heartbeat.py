"""The heartbeat sender against a real monitor process: beats, outages, errors, keys."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
import requests

from shared.heartbeat import HeartbeatSender
from shared.ports import free_port
from tests.procs import wait_for

pytestmark = pytest.mark.slow


def monitor_args(tmp_path) -> list[str]:  # type: ignore[no-untyped-def]
    return ["--db", f"sqlite:///{tmp_path / 'm.db'}", "--no-checks", "--workers", "1"]


def node(url: str, node_id: str, api_key: str | None = None) -> dict[str, Any] | None:
    """The monitor's view of a node, or None while it does not know it."""
    headers = {"X-API-Key": api_key} if api_key else {}
    resp = requests.get(f"{url}/api/ar/nodes/{node_id}", headers=headers, timeout=5)
    if resp.status_code == 404:
        return None
    resp.raise_for_status()
    return resp.json()


def make_sender(url: str, node_id: str, **kwargs: Any) -> HeartbeatSender:
    options: dict[str, Any] = {
        "node_name": f"{node_id} name",
        "node_type": "test-node",
        "interval": 0.2,
        "payload": lambda: {"status": "running", "camera": {"state": "running"}},
        "timeout": 10.0,
        "max_retries": 0,
        "retry_delay": 0.05,
    }
    options.update(kwargs)
    return HeartbeatSender(url, node_id, **options)


def test_beats_reach_a_real_monitor_and_stop_stops_them(spawn, tmp_path) -> None:
    mon = spawn("yl_monitor", monitor_args(tmp_path))
    sender = make_sender(mon.url, "hb-1")
    sender.start()
    try:
        view = wait_for(
            lambda: (n := node(mon.url, "hb-1")) and n["beats_received"] >= 3 and n, timeout=10
        )
        assert view["node_type"] == "test-node"
        assert view["node_name"] == "hb-1 name"
        assert view["expected_interval"] == 0.2  # the interval the node declared
        payload = view["last_payload"]
        assert payload["camera"]["state"] == "running"
        assert payload["status"] == "running"
        assert payload["timestamp"].endswith("Z")
        assert payload["uptime"] >= 0
        assert payload["resources"]["memory_mb"] > 0
        assert payload["resources"]["threads"] >= 2
        # the monitor may count a beat before the sender has read its answer
        stats = wait_for(lambda: (st := sender.stats())["report_count"] >= 3 and st, timeout=5)
        assert stats["running"] is True
        assert stats["error_count"] == 0
        assert stats["last_report_time"].endswith("Z")
        assert stats["config"] == {"node_id": "hb-1", "monitor_url": mon.url, "interval": 0.2}
    finally:
        started = time.monotonic()
        sender.stop()
        assert time.monotonic() - started < 5
    assert sender.stats()["running"] is False
    before = node(mon.url, "hb-1")["beats_received"]
    time.sleep(0.6)
    assert node(mon.url, "hb-1")["beats_received"] == before


@pytest.mark.expect_errors(r"heartbeat to \S+ failed: .*cannot connect")
def test_monitor_down_then_up_on_the_same_port(spawn, tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="shared.heartbeat")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sender = make_sender(url, "hb-down")
    started = time.monotonic()
    sender.start()
    assert time.monotonic() - started < 0.5  # the caller is never blocked
    try:
        wait_for(lambda: sender.stats()["error_count"] >= 2, timeout=10)
        stats = sender.stats()
        assert stats["report_count"] == 0
        assert "cannot connect" in stats["last_error"]
        failures = [r for r in caplog.records if "cannot connect" in r.getMessage()]
        assert len(failures) == 1  # logged once, not once per beat

        mon = spawn("yl_monitor", monitor_args(tmp_path), port=port)
        wait_for(lambda: sender.stats()["report_count"] >= 1, timeout=15)
        view = wait_for(lambda: node(mon.url, "hb-down"), timeout=5)
        assert view["node_type"] == "test-node"
        assert any("recovered" in r.getMessage() for r in caplog.records)
        failures = [r for r in caplog.records if "cannot connect" in r.getMessage()]
        assert len(failures) == 2  # the failure, then the recovery line naming it
    finally:
        sender.stop()


@pytest.mark.expect_errors("camera driver exploded", r"heartbeat payload\(\) raised")
def test_payload_errors_are_reported_as_status_error(spawn, tmp_path, caplog) -> None:
    def broken() -> dict[str, Any]:
        raise RuntimeError("camera driver exploded")

    mon = spawn("yl_monitor", monitor_args(tmp_path))
    sender = make_sender(mon.url, "hb-err", payload=broken)
    sender.start()
    try:
        view = wait_for(
            lambda: (n := node(mon.url, "hb-err")) and n["beats_received"] >= 2 and n, timeout=10
        )
    finally:
        sender.stop()
    assert view["status"] == "error"
    assert view["last_payload"]["status"] == "error"
    assert "camera driver exploded" in view["last_payload"]["error"]
    assert view["last_payload"]["resources"]["memory_mb"] > 0  # the rest of the beat still goes
    assert sender.stats()["error_count"] == 0  # the beats themselves were delivered
    logged = [r for r in caplog.records if "raised" in r.getMessage()]
    assert len(logged) == 1


@pytest.mark.expect_errors(r"HTTP 401: this endpoint needs an API key")
def test_api_key_is_sent(spawn, tmp_path) -> None:
    env = {"YL_MONITOR__SECURITY__API_KEY_ENABLED": "true", "YL_MONITOR__SECURITY__API_KEY": "k1"}
    mon = spawn("yl_monitor", monitor_args(tmp_path), env=env)

    without = make_sender(mon.url, "hb-nokey")
    assert without.beat_now() is False
    assert without.beat_now() is False
    stats = without.stats()
    assert stats["error_count"] == 2
    assert "401" in stats["last_error"]
    assert node(mon.url, "hb-nokey", api_key="k1") is None

    keyed = make_sender(mon.url, "hb-key", api_key="k1")
    keyed.start()
    try:
        wait_for(lambda: keyed.stats()["report_count"] >= 2, timeout=10)
    finally:
        keyed.stop()
    assert keyed.stats()["error_count"] == 0
    assert node(mon.url, "hb-key", api_key="k1")["beats_received"] >= 2


def test_trigger_sends_a_beat_without_waiting_for_the_interval(spawn, tmp_path) -> None:
    mon = spawn("yl_monitor", monitor_args(tmp_path))
    sender = make_sender(mon.url, "hb-trig", interval=30)
    sender.start()
    try:
        wait_for(lambda: sender.stats()["report_count"] == 1, timeout=10)
        time.sleep(0.3)
        assert sender.stats()["report_count"] == 1  # the next one is 30 s away
        sender.trigger()
        wait_for(lambda: sender.stats()["report_count"] == 2, timeout=2)
        assert node(mon.url, "hb-trig")["beats_received"] == 2
    finally:
        sender.stop()


def test_disabled_sender_does_nothing() -> None:
    sender = make_sender(f"http://127.0.0.1:{free_port()}", "hb-off", enabled=False)
    sender.start()
    sender.trigger()
    assert sender.beat_now() is False
    time.sleep(0.3)
    stats = sender.stats()
    assert stats["running"] is False
    assert stats["report_count"] == stats["error_count"] == 0
    sender.stop()


class LosesFirstAnswer:
    """A requests session that hands each request to an in-process monitor, but loses the
    answer to the first heartbeat (the beat is stored; the sender sees a timeout)."""

    def __init__(self, app: Any, base_url: str) -> None:
        self._client = app.test_client()
        self._base = base_url
        self.beats: list[dict[str, Any]] = []
        self.headers: dict[str, str] = {}

    def request(self, method: str, url: str, json: Any = None, **_kw: Any) -> requests.Response:
        answer = self._client.open(url[len(self._base) :], method=method, json=json)
        if url.endswith("/heartbeat"):
            self.beats.append(json)
            if len(self.beats) == 1:
                raise requests.Timeout("the answer was lost")
        resp = requests.Response()
        resp.status_code = answer.status_code
        resp._content = answer.get_data()
        resp.url = url
        return resp

    def close(self) -> None:
        pass


def test_a_retried_beat_keeps_its_beat_id_and_is_stored_once(make_monitor) -> None:
    app, monitor = make_monitor()
    url = "http://monitor.test"
    sender = make_sender(url, "hb-retry", max_retries=2, retry_delay=0.01)
    session = LosesFirstAnswer(app, url)
    sender._client._session = session  # type: ignore[assignment]
    assert sender.beat_now() is True  # the retry was answered: a duplicate, not stored again
    assert sender.beat_now() is True
    first, retry, second = session.beats
    assert first["beat_id"] == retry["beat_id"]
    assert second["beat_id"] != first["beat_id"]
    assert monitor.store.count_beats("hb-retry") == 2
    assert monitor.store.get_node("hb-retry")["beats_received"] == 2
    assert sender.stats()["error_count"] == 0
