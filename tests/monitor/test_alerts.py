"""Alert lifecycle: open once per node and cause, resolve after a hold, thresholds, races."""

from __future__ import annotations

import threading

from shared.timeutil import ManualClock


def beat(client, node="gui-1", cpu=10.0, mem=20.0, **extra):
    body = {"node_type": "user-gui", "resources": {"cpu_percent": cpu, "memory_percent": mem}}
    body.update(extra)
    resp = client.post(f"/api/ar/nodes/{node}/heartbeat", json=body)
    assert resp.status_code == 200, resp.json
    return resp


def open_alerts(client):
    return [(a["node_id"], a["cause"]) for a in client.get("/api/alerts").json["alerts"]]


def test_offline_alert_opens_once(client, monitor, clock: ManualClock) -> None:
    beat(client)
    clock.advance(200)
    for _ in range(5):
        monitor.evaluator.tick()
        clock.advance(10)
    assert open_alerts(client) == [("gui-1", "offline")]
    assert len(client.get("/api/alerts?status=all").json["alerts"]) == 1


def test_cpu_alert_needs_consecutive_high_beats(client, monitor) -> None:
    beat(client, cpu=95)
    beat(client, cpu=95)
    beat(client, cpu=50)  # streak broken
    beat(client, cpu=95)
    beat(client, cpu=95)
    monitor.evaluator.tick()
    assert open_alerts(client) == []
    beat(client, cpu=97)
    monitor.evaluator.tick()
    assert open_alerts(client) == [("gui-1", "cpu_high")]
    beat(client, cpu=10)
    monitor.evaluator.tick()
    assert open_alerts(client) == []


def test_memory_alert_from_backend_system_section(client, monitor) -> None:
    for _ in range(3):
        body = {"node_type": "ar-backend", "system": {"cpu_percent": 5, "memory": {"percent": 96}}}
        assert client.post("/api/ar/nodes/be-1/heartbeat", json=body).status_code == 200
    monitor.evaluator.tick()
    assert open_alerts(client) == [("be-1", "memory_high")]


def test_resolve_waits_for_the_hold(make_monitor, db_url, clock: ManualClock) -> None:
    app, monitor = make_monitor(db_url, alerts={"resolve_hold": 30})
    client = app.test_client()
    for _ in range(3):
        beat(client, cpu=99)
    monitor.evaluator.tick()
    assert open_alerts(client) == [("gui-1", "cpu_high")]
    beat(client, cpu=5)
    monitor.evaluator.tick()
    clock.advance(20)
    monitor.evaluator.tick()
    assert open_alerts(client) == [("gui-1", "cpu_high")]  # clear, but not for long enough
    # flapping back resets the hold
    for _ in range(3):
        beat(client, cpu=99)
    monitor.evaluator.tick()
    beat(client, cpu=5)
    monitor.evaluator.tick()
    clock.advance(29)
    monitor.evaluator.tick()
    assert open_alerts(client) == [("gui-1", "cpu_high")]
    clock.advance(2)
    monitor.evaluator.tick()
    assert open_alerts(client) == []
    assert len(client.get("/api/alerts?status=all").json["alerts"]) == 1


def test_acknowledge_until_expires(client, monitor, clock: ManualClock) -> None:
    beat(client)
    clock.advance(200)
    monitor.evaluator.tick()
    alert_id = client.get("/api/alerts").json["alerts"][0]["id"]
    resp = client.post(
        f"/api/alerts/{alert_id}/acknowledge",
        json={"by": "ops", "reason": "known outage", "until": clock.now() + 60},
    )
    assert resp.json["alert"]["status"] == "acknowledged"
    assert client.get("/api/alerts?status=acknowledged").json["count"] == 1
    clock.advance(61)
    alert = client.get("/api/alerts").json["alerts"][0]
    assert alert["status"] == "firing"
    assert alert["acknowledgement"]["expired"] is True


def test_concurrent_openers_open_one_alert(monitor, clock: ManualClock) -> None:
    """Many threads (standing in for several monitor instances) race to open one alert."""
    barrier = threading.Barrier(8)
    ids: list[int | None] = []

    def opener() -> None:
        barrier.wait()
        ids.append(monitor.store.open_alert("gui-1", "offline", "critical", "down", clock.now()))

    threads = [threading.Thread(target=opener) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len([i for i in ids if i is not None]) == 1
    assert len(monitor.store.open_alerts()) == 1


def test_two_monitors_on_one_database_open_once(make_monitor, db_url, clock) -> None:
    app_a, mon_a = make_monitor(db_url)
    _app_b, mon_b = make_monitor(db_url)
    beat(app_a.test_client())
    clock.advance(500)
    first = mon_a.evaluator.tick()
    second = mon_b.evaluator.tick()
    assert (first.opened, second.opened) == (1, 0)
    assert (first.transitions, second.transitions) == (1, 0)  # one state event, not two


def test_alerts_and_states_carry_their_message_key_and_args(client, monitor, clock) -> None:
    """The window says alerts and states in the person's language: each text comes with its
    catalogue key and args, and the English is rendered from them."""
    from shared.messages import render

    beat(client)
    for _ in range(3):
        beat(client, node="hot-1", cpu=97)
    clock.advance(200)
    monitor.evaluator.tick()
    alerts = {a["cause"]: a for a in client.get("/api/alerts").json["alerts"]}
    offline = alerts["offline"]
    assert offline["message_key"] == "alert.offline.no_beat"
    assert offline["message_args"]["node"] == "gui-1"
    assert offline["message"] == render(offline["message_key"], offline["message_args"])
    assert offline["message"].startswith("gui-1 is offline: no beat for 200 s")
    cpu = alerts["cpu_high"]
    assert cpu["message_key"] == "alert.cpu_high"
    assert cpu["message_args"]["cpu_percent"] == 97
    node = client.get("/api/ar/nodes/gui-1").json
    assert node["state_reason_key"] == "state.offline.no_beat"
    assert node["state_reason"] == render("state.offline.no_beat", node["state_reason_args"])


def test_an_alert_stored_before_keys_goes_out_as_text(client, monitor, clock) -> None:
    from sqlalchemy import update

    from yl_monitor.schema import alerts

    alert_id = monitor.store.open_alert("gui-1", "offline", "critical", "down", clock.now())
    with monitor.store.engine.begin() as conn:  # as an older monitor wrote it
        conn.execute(
            update(alerts)
            .where(alerts.c.id == alert_id)
            .values(message_key=None, message_args=None)
        )
    view = client.get("/api/alerts").json["alerts"][0]
    assert (view["message"], view["message_key"], view["message_args"]) == (
        "down",
        "text",
        {"text": "down"},
    )
