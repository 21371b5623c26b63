"""Bad input gets a 4xx JSON error naming the field, and changes nothing in the store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from shared.timeutil import ManualClock
from tests.conftest import fresh_db, monitor_config, start_monitor
from yl_monitor.monitor import Monitor
from yl_monitor.schema import alerts, beats, nodes, state_events


def snapshot(monitor):
    with monitor.store.engine.connect() as conn:
        return {
            t.name: [tuple(r) for r in conn.execute(select(t)).all()]
            for t in (nodes, beats, alerts, state_events)
        }


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded_monitor(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_url: str | None,
) -> Iterator[tuple[Any, Monitor]]:
    """One monitor per database for the whole table (a node that beat 500 s ago, evaluated):
    every case checks that the store is the same after it as before, so the cases can share
    it, and the table costs two monitors instead of one per case."""
    url = fresh_db(request.param, tmp_path_factory.mktemp("bad-input"), postgres_url)
    clock = ManualClock()
    app, monitor = start_monitor(monitor_config(url), clock)
    try:
        client = app.test_client()
        client.post("/api/ar/nodes/gui-1/heartbeat", json={"node_type": "user-gui"})
        clock.advance(500)
        monitor.evaluator.tick()
        yield client, monitor
    finally:
        monitor.stop()


BIG = "x" * (70 * 1024)
HB = "/api/ar/nodes/gui-1/heartbeat"

CASES = [
    # (method, path, body (dict, or raw str), status, field)
    ("POST", HB, "{not json", 400, "body"),
    ("POST", HB, "[1, 2]", 400, "body"),
    ("POST", HB, "", 400, "body"),
    ("POST", HB, '{"uptime": NaN}', 400, "body"),
    ("POST", HB, {"status": 5}, 400, "status"),
    ("POST", HB, {"uptime": -1}, 400, "uptime"),
    ("POST", HB, {"uptime": "12"}, 400, "uptime"),
    ("POST", HB, {"resources": {"cpu_percent": "high"}}, 400, "resources.cpu_percent"),
    ("POST", HB, {"resources": {"memory_percent": 250}}, 400, "resources.memory_percent"),
    ("POST", HB, {"resources": {"threads": True}}, 400, "resources.threads"),
    ("POST", HB, {"resources": "lots"}, 400, "resources"),
    ("POST", HB, {"timestamp": "yesterday"}, 400, "timestamp"),
    ("POST", HB, {"timestamp": 1e300}, 400, "timestamp"),
    ("POST", HB, {"timestamp": -1e300}, 400, "timestamp"),
    ("POST", HB, {"timestamp": 12.0}, 400, "timestamp"),  # 1970: outside 2000..2200
    ("POST", HB, {"timestamp": "9999-12-31T23:59:59Z"}, 400, "timestamp"),
    ("POST", HB, {"timestamp": "2026-01-01T00:00:00Z" + " " * 60}, 400, "timestamp"),
    ("POST", HB, {"resources": {"memory_mb": 1e300}}, 400, "resources.memory_mb"),
    ("POST", HB, {"resources": {"cpu_percent": 1e300}}, 400, "resources.cpu_percent"),
    ("POST", HB, {"resources": {"threads": 10**12}}, 400, "resources.threads"),
    ("POST", HB, {"uptime": 1e300}, 400, "uptime"),
    ("POST", HB, {"interval": 1e300}, 400, "interval"),
    ("POST", HB, '{"uptime": 1e400}', 400, None),  # infinite: refused (by the edge or the model)
    ("POST", HB, '{"resources": {"memory_mb": -1e400}}', 400, None),
    ("POST", HB, {"node_name": "a\u0000b"}, 400, None),
    ("POST", HB, {"status": "\ud800"}, 400, "status"),
    ("POST", HB, {"beat_id": ""}, 400, "beat_id"),
    ("POST", HB, {"beat_id": "has space"}, 400, "beat_id"),
    ("POST", HB, {"beat_id": "x" * 65}, 400, "beat_id"),
    ("POST", HB, {"beat_id": 7}, 400, "beat_id"),
    ("POST", HB, {"node_id": "other"}, 400, "node_id"),
    ("POST", HB, {"gui": ["window"]}, 400, "gui"),
    ("POST", HB, {"interval": 0}, 400, "interval"),
    ("POST", HB, {"junk": BIG}, 413, "body"),
    ("POST", "/api/ar/nodes/bad%20id/heartbeat", {}, 400, "node_id"),
    ("POST", "/api/ar/nodes/" + "a" * 65 + "/heartbeat", {}, 400, "node_id"),
    ("POST", "/api/ar/nodes/-dash/heartbeat", {}, 400, "node_id"),
    ("POST", "/api/ar/nodes/trailing%0A/heartbeat", {}, 400, "node_id"),
    ("POST", "/api/ar/nodes/register", {}, 400, "node_id"),
    ("POST", "/api/ar/nodes/register", {"node_id": "ok", "node_type": 3}, 400, "node_type"),
    ("POST", "/api/ar/nodes/register", {"node_id": "a/b"}, 400, "node_id"),
    ("POST", "/api/ar/nodes/register", {"node_id": "ok\n"}, 400, "node_id"),
    ("POST", "/api/ar/nodes/register", {"node_id": "ok", "colour": "red"}, 400, "colour"),
    (
        "POST",
        "/api/ar/nodes/register",
        {"node_id": "ok", "register_time": "soon"},
        400,
        "register_time",
    ),
    (
        "POST",
        "/api/ar/nodes/register",
        {"node_id": "ok", "register_time": 1e300},
        400,
        "register_time",
    ),
    ("POST", "/api/ar/nodes/register", {"node_id": "ok", "node_name": "a\u0000"}, 400, None),
    ("POST", "/api/ar/nodes/register", {"node_id": "ok", "node_name": "\udfff"}, 400, "node_name"),
    ("POST", "/api/ar/nodes/gui-1/pause", {"reason": "off\u0000"}, 400, None),
    ("POST", "/api/alerts/1/acknowledge", {"by": ""}, 400, "by"),
    ("POST", "/api/alerts/1/acknowledge", {"until": "tomorrow"}, 400, "until"),
    ("POST", "/api/alerts/1/acknowledge", {"for_seconds": -5}, 400, "for_seconds"),
    ("POST", "/api/alerts/1/acknowledge", "{", 400, "body"),
    ("POST", "/api/alerts/999/acknowledge", {}, 404, None),
    ("POST", "/api/alerts/1/acknowledge", {"until": 1e300}, 400, "until"),
    ("POST", "/api/alerts/1/acknowledge", {"until": -1e300}, 400, "until"),
    ("POST", "/api/alerts/1/acknowledge", {"until": "9999-12-31T23:59:59Z"}, 400, "until"),
    ("POST", "/api/alerts/1/acknowledge", {"until": "0001-01-01T00:00:00Z"}, 400, "until"),
    ("POST", "/api/alerts/1/acknowledge", {"for_seconds": 1e300}, 400, "for_seconds"),
    ("POST", "/api/alerts/99999999999999999999/acknowledge", {}, 404, None),
    ("POST", "/api/alerts/9223372036854775808/acknowledge", {}, 404, None),
    ("POST", "/api/ar/nodes/gui-1/pause", {"paused": "yes"}, 400, "paused"),
    ("POST", "/api/ar/nodes/nobody/pause", {}, 404, None),
    ("GET", "/api/ar/nodes/nobody", None, 404, None),
    ("GET", "/api/ar/nodes/gui-1/history?limit=0", None, 400, "limit"),
    ("GET", "/api/ar/nodes/gui-1/history?limit=abc", None, 400, "limit"),
    ("GET", "/api/ar/nodes/gui-1/history?since=later", None, 400, "since"),
    ("GET", "/api/alerts?status=weird", None, 400, "status"),
    ("GET", "/api/nothing-here", None, 404, None),
    ("DELETE", "/api/ar/nodes", None, 405, None),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "field"), CASES)
def test_bad_input_changes_nothing(seeded_monitor, method, path, body, status, field):
    seeded, monitor = seeded_monitor
    before = snapshot(monitor)
    kwargs = {}
    if isinstance(body, dict):
        kwargs["json"] = body
    elif isinstance(body, str):
        kwargs["data"] = body
        kwargs["content_type"] = "application/json"
    resp = seeded.open(path, method=method, **kwargs)
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.is_json
    data = resp.json
    assert data["code"] == status
    assert data["error"] and data["message"] and data["timestamp"]
    if field is not None:
        assert data["field"] == field, data
    assert snapshot(monitor) == before
