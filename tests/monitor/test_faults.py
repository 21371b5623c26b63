"""Faults are logged once, reported in status, answered 503, and recovered from."""

from __future__ import annotations

import logging

from sqlalchemy import text


def test_storage_failure_is_503_then_recovers(client, monitor, caplog) -> None:
    assert client.post("/api/ar/nodes/n1/heartbeat", json={}).status_code == 200
    with monitor.store.engine.begin() as conn:
        conn.execute(text("DROP TABLE beats"))
    caplog.set_level(logging.ERROR, logger="yl_monitor.ingest")
    for _ in range(3):
        resp = client.post("/api/ar/nodes/n1/heartbeat", json={})
        assert resp.status_code == 503
        assert "not stored" in resp.json["message"]
    logged = [r for r in caplog.records if "storing heartbeats failed" in r.getMessage()]
    assert len(logged) == 1  # once, not per beat
    status = client.get("/api/status").json
    assert status["status"] == "degraded"
    assert status["storage"]["fault"]
    assert status["heartbeats"]["failed"] == 3

    monitor.store.create_schema()  # the operator repairs the database; no restart
    assert client.post("/api/ar/nodes/n1/heartbeat", json={}).status_code == 200
    status = client.get("/api/status").json
    assert status["status"] == "healthy"
    assert status["storage"]["fault"] is None
    assert monitor.store.count_beats("n1") == 1


def test_full_queue_is_503_and_nothing_queued_is_lost(make_config, clock) -> None:
    from yl_monitor.app import create_app

    app = create_app(make_config(storage={"queue_max": 2, "commit_wait": 0.2}), clock=clock)
    monitor = app.extensions["yl_monitor"]
    client = app.test_client()
    try:
        # the writer is not running yet: beats queue up and are not durable in time
        for _ in range(2):
            resp = client.post("/api/ar/nodes/n1/heartbeat", json={})
            assert resp.status_code == 503
            assert "not committed within" in resp.json["message"]
        full = client.post("/api/ar/nodes/n1/heartbeat", json={})
        assert full.status_code == 503
        assert "queue is full" in full.json["message"]
        assert client.get("/api/status").json["heartbeats"]["rejected_queue_full"] == 1
        monitor.start(evaluator=False, checks=False, sampler=False)
        assert client.post("/api/ar/nodes/n1/heartbeat", json={}).status_code == 200
        assert monitor.store.count_beats("n1") == 3  # the two queued ones were written too
    finally:
        monitor.stop()
