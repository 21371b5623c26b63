"""The register / beat / list / alert / acknowledge cycle, on SQLite and on PostgreSQL."""

from __future__ import annotations

from shared.timeutil import ManualClock
from yl_monitor.monitor import Monitor

GUI_BEAT = {
    "node_id": "gui-1",
    "node_name": "Studio GUI",
    "node_type": "user-gui",
    "timestamp": "2026-11-23T10:00:00Z",
    "status": "running",
    "version": "2.0.0",
    "uptime": 12.5,
    "resources": {"cpu_percent": 12.5, "memory_mb": 180.0, "threads": 9},
    "gui": {
        "window_active": True,
        "video_running": True,
        "audio_running": False,
        "face_loaded": True,
    },
}


def test_register_then_beat_then_list(client, monitor: Monitor) -> None:
    resp = client.post(
        "/api/ar/nodes/register",
        json={
            "node_id": "gui-1",
            "node_name": "Studio GUI",
            "node_type": "user-gui",
            "register_time": "2026-11-23T09:59:00Z",
        },
    )
    assert resp.status_code == 200
    assert resp.json["status"] == "registered"
    assert resp.json["node"]["state"] == "new"

    resp = client.post("/api/ar/nodes/gui-1/heartbeat", json=GUI_BEAT)
    assert resp.status_code == 200, resp.json
    assert resp.json["recorded"] is True

    nodes = client.get("/api/ar/nodes").json
    assert nodes["count"] == 1
    node = nodes["nodes"][0]
    assert node["node_id"] == "gui-1"
    assert node["state"] == "online"
    assert node["expected_interval"] == 30.0  # user-gui type interval from config
    assert node["resources"]["cpu_percent"] == 12.5
    assert node["last_payload"]["gui"]["face_loaded"] is True
    assert nodes["summary"] == {"online": 1}

    detail = client.get("/api/ar/nodes/gui-1").json
    assert detail["node_name"] == "Studio GUI"
    assert detail["beats_received"] == 1


def test_heartbeat_from_unregistered_node_registers_it(client) -> None:
    resp = client.post(
        "/api/ar/nodes/backend-7/heartbeat", json={"status": "running", "node_type": "ar-backend"}
    )
    assert resp.status_code == 200
    node = client.get("/api/ar/nodes/backend-7").json
    assert node["node_type"] == "ar-backend"
    assert node["state"] == "online"


def test_offline_alert_then_acknowledge(client, monitor: Monitor, clock: ManualClock) -> None:
    client.post("/api/ar/nodes/gui-1/heartbeat", json=GUI_BEAT)
    monitor.evaluator.tick()
    assert client.get("/api/alerts").json["alerts"] == []

    clock.advance(30 * 3 + 5 + 1)  # three GUI intervals plus grace: offline
    monitor.evaluator.tick()
    node = client.get("/api/ar/nodes/gui-1").json
    assert node["state"] == "offline"
    alerts = client.get("/api/alerts").json["alerts"]
    assert [(a["node_id"], a["cause"], a["status"]) for a in alerts] == [
        ("gui-1", "offline", "firing")
    ]
    alert_id = alerts[0]["id"]

    resp = client.post(
        f"/api/alerts/{alert_id}/acknowledge",
        json={"by": "alice", "reason": "rebooting the PC", "for_seconds": 600},
    )
    assert resp.status_code == 200
    ack = resp.json["alert"]["acknowledgement"]
    assert ack["by"] == "alice" and ack["reason"] == "rebooting the PC"
    assert resp.json["alert"]["status"] == "acknowledged"

    # idempotent: a second acknowledge keeps the first record
    again = client.post(f"/api/alerts/{alert_id}/acknowledge", json={"by": "bob"})
    assert again.status_code == 200
    assert again.json["alert"]["acknowledgement"]["by"] == "alice"

    # the node comes back: the alert resolves itself
    client.post("/api/ar/nodes/gui-1/heartbeat", json=GUI_BEAT)
    monitor.evaluator.tick()
    assert client.get("/api/alerts").json["alerts"] == []
    resolved = client.get("/api/alerts?status=resolved").json["alerts"]
    assert [a["id"] for a in resolved] == [alert_id]
    assert resolved[0]["acknowledgement"]["by"] == "alice"


def test_acknowledge_unknown_alert_is_404(client) -> None:
    resp = client.post("/api/alerts/999/acknowledge", json={"by": "alice"})
    assert resp.status_code == 404
    assert resp.json["error"] == "Not Found"
    assert client.post("/api/alerts/abc/acknowledge").status_code == 404


def test_history_returns_recent_beats_oldest_first(client, clock: ManualClock) -> None:
    for cpu in (10.0, 20.0, 30.0, 40.0):
        beat = {**GUI_BEAT, "resources": {"cpu_percent": cpu}}
        assert client.post("/api/ar/nodes/gui-1/heartbeat", json=beat).status_code == 200
        clock.advance(1)
    hist = client.get("/api/ar/nodes/gui-1/history?limit=3").json
    assert [b["cpu_percent"] for b in hist["beats"]] == [20.0, 30.0, 40.0]
    assert client.get("/api/ar/nodes/nobody/history").status_code == 404


def test_pause_and_resume(client, monitor: Monitor, clock: ManualClock) -> None:
    client.post("/api/ar/nodes/gui-1/heartbeat", json=GUI_BEAT)
    assert (
        client.post("/api/ar/nodes/gui-1/pause", json={"reason": "maintenance"}).json["state"]
        == "paused"
    )
    clock.advance(1000)
    monitor.evaluator.tick()
    assert client.get("/api/alerts").json["alerts"] == []  # paused nodes raise nothing
    assert client.post("/api/ar/nodes/gui-1/resume").json["state"] == "offline"
    assert client.post("/api/ar/nodes/ghost/pause").status_code == 404


def test_acknowledging_a_resolved_alert_is_409(
    client, monitor: Monitor, clock: ManualClock
) -> None:
    client.post("/api/ar/nodes/gui-1/heartbeat", json=GUI_BEAT)
    clock.advance(200)
    monitor.evaluator.tick()
    alert_id = client.get("/api/alerts").json["alerts"][0]["id"]
    client.post("/api/ar/nodes/gui-1/heartbeat", json=GUI_BEAT)
    monitor.evaluator.tick()  # back online: resolved (hold 0 in tests)
    resp = client.post(f"/api/alerts/{alert_id}/acknowledge", json={"by": "late-bob"})
    assert resp.status_code == 409
    assert "already resolved" in resp.json["message"]
    assert monitor.store.get_alert(alert_id)["ack_by"] is None
