"""Numbers and times are bounded on the way in, and a bad stored value never breaks a listing."""

from __future__ import annotations

import json

from sqlalchemy import text, update

from yl_monitor.schema import alerts, beats, nodes


def strict(resp) -> object:  # type: ignore[no-untyped-def]
    """The answer's JSON, refusing NaN and the infinities (what a strict client does)."""

    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(resp.get_data(as_text=True), parse_constant=refuse)


def listings(client, node_id: str) -> list:  # type: ignore[no-untyped-def]
    paths = [
        "/api/ar/nodes",
        f"/api/ar/nodes/{node_id}",
        f"/api/ar/nodes/{node_id}/history",
        "/api/alerts?status=all",
        "/api/status",
    ]
    answers = []
    for path in paths:
        resp = client.get(path)
        assert resp.status_code == 200, (path, resp.get_data(as_text=True))
        answers.append(strict(resp))
    return answers


def test_unvalidated_sections_never_store_an_out_of_range_figure(client, monitor) -> None:
    """The backend's ``system`` section is kept as sent, but its figures feed the node's
    resources only when they are finite and in range."""
    body = {"system": {"cpu_percent": 1e300, "memory": {"percent": -5}}}
    assert client.post("/api/ar/nodes/be-1/heartbeat", json=body).status_code == 200
    node = monitor.store.get_node("be-1")
    assert (node["cpu_percent"], node["memory_percent"]) == (None, None)
    assert (node["cpu_streak"], node["mem_streak"]) == (0, 0)
    listings(client, "be-1")


def test_bad_stored_values_never_break_a_listing(client, monitor, clock) -> None:
    """Defence in depth: times no date can show, and a payload with a number JSON cannot
    carry (written by an older version, or by hand), still list as strict JSON."""
    client.post("/api/ar/nodes/gui-1/heartbeat", json={"status": "running"})
    clock.advance(500)
    monitor.evaluator.tick()  # an offline alert
    alert_id = monitor.store.open_alerts()[0]["id"]
    with monitor.store.engine.begin() as conn:
        conn.execute(
            update(alerts)
            .where(alerts.c.id == alert_id)
            .values(ack_at=1e300, ack_until=1e300, ack_by="x", clear_since=-1e300)
        )
        conn.execute(update(beats).values(sent_at=1e300))
        conn.execute(
            update(nodes).values(register_time=-1e300, last_payload='{"x": 1e400, "y": [2]}')
        )
    node_list, detail, history, alert_list, _status = listings(client, "gui-1")
    assert detail["last_payload"] == {"x": None, "y": [2], "node_id": "gui-1"}
    assert history["beats"][0]["sent_at"] is None
    ack = alert_list["alerts"][0]["acknowledgement"]
    assert (ack["at"], ack["until"]) == (None, None)
    assert node_list["nodes"][0]["last_payload"]["x"] is None

    with monitor.store.engine.begin() as conn:  # not JSON at all
        conn.execute(text("UPDATE nodes SET last_payload = 'not json'"))
    assert listings(client, "gui-1")[1]["last_payload"] is None


def test_refused_acknowledgement_changes_nothing_and_listings_stay_up(client, monitor, clock):
    """The probe's case: ``until`` 1e300 was a 500 that had committed, then broke listings."""
    client.post("/api/ar/nodes/gui-1/heartbeat", json={})
    clock.advance(500)
    monitor.evaluator.tick()
    alert_id = monitor.store.open_alerts()[0]["id"]
    resp = client.post(f"/api/alerts/{alert_id}/acknowledge", json={"until": 1e300})
    assert resp.status_code == 400
    assert resp.json["field"] == "until"
    assert monitor.store.get_alert(alert_id)["ack_at"] is None
    listings(client, "gui-1")


def test_alert_ids_past_64_bits_are_unknown(client, monitor) -> None:
    for alert_id in ("9223372036854775807", "9223372036854775808", "9" * 40):
        resp = client.post(f"/api/alerts/{alert_id}/acknowledge", json={})
        assert resp.status_code == 404, resp.json
    assert monitor.store.get_alert(2**64) is None
    assert monitor.store.acknowledge(2**64, "x", None, None, 0.0) is None
