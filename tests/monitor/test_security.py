"""API keys, body limits and CORS."""

from __future__ import annotations

import pytest

WRITE = {"X-API-Key": "w-secret"}
READ = {"X-API-Key": "r-secret"}


@pytest.fixture
def secured(make_monitor):
    app, mon = make_monitor(
        security={"api_key_enabled": True, "api_key": "w-secret", "read_api_key": "r-secret"},
        cors={"enabled": True, "origins": ["http://studio.local:8080"]},
    )
    return app.test_client(), mon


def test_writes_need_the_write_key(secured) -> None:
    client, mon = secured
    resp = client.post("/api/ar/nodes/gui-1/heartbeat", json={})
    assert resp.status_code == 401
    assert resp.json["field"] == "X-API-Key"
    assert client.post("/api/ar/nodes/gui-1/heartbeat", json={}, headers=READ).status_code == 401
    assert mon.store.get_node("gui-1") is None  # nothing changed
    ok = client.post("/api/ar/nodes/gui-1/heartbeat", json={}, headers=WRITE)
    assert ok.status_code == 200
    bearer = {"Authorization": "Bearer w-secret"}
    assert client.post("/api/ar/nodes/gui-1/heartbeat", json={}, headers=bearer).status_code == 200


def test_reads_take_the_read_or_write_key(secured) -> None:
    client, _ = secured
    assert client.get("/api/ar/nodes").status_code == 401
    assert client.get("/api/ar/nodes", headers={"X-API-Key": "nope"}).status_code == 401
    assert client.get("/api/ar/nodes", headers=READ).status_code == 200
    assert client.get("/api/ar/nodes", headers=WRITE).status_code == 200
    assert client.get("/metrics").status_code == 401
    # health and the dashboard page stay open; the page asks for the key itself
    assert client.get("/api/health").status_code == 200
    assert client.get("/").status_code == 200


def test_acknowledge_and_pause_need_the_write_key(secured, clock) -> None:
    client, mon = secured
    client.post("/api/ar/nodes/gui-1/heartbeat", json={}, headers=WRITE)
    clock.advance(1000)
    mon.evaluator.tick()
    alert_id = client.get("/api/alerts", headers=READ).json["alerts"][0]["id"]
    assert client.post(f"/api/alerts/{alert_id}/acknowledge", headers=READ).status_code == 401
    assert client.post("/api/ar/nodes/gui-1/pause", headers=READ).status_code == 401
    assert mon.store.get_alert(alert_id)["ack_at"] is None
    resp = client.post(f"/api/alerts/{alert_id}/acknowledge", headers=WRITE)
    assert resp.status_code == 200


def test_cors_only_for_listed_origins(secured) -> None:
    client, _ = secured
    allowed = client.get("/api/health", headers={"Origin": "http://studio.local:8080"})
    assert allowed.headers.get("Access-Control-Allow-Origin") == "http://studio.local:8080"
    other = client.get("/api/health", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_no_cors_headers_by_default(client) -> None:
    resp = client.get("/api/health", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in resp.headers


def test_missing_write_key_in_config_is_an_error(make_config) -> None:
    from shared.config import ConfigError
    from yl_monitor.config import load_monitor_config

    with pytest.raises(ConfigError, match=r"security\.api_key must be set"):
        load_monitor_config(environ={"YL_MONITOR__SECURITY__API_KEY_ENABLED": "true"})
