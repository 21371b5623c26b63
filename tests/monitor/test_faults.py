"""Faults are logged once, reported in status, answered 503, and recovered from."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text

from tests.procs import wait_for
from yl_monitor.app import create_app
from yl_monitor.monitor import new_stats
from yl_monitor.sinks import StoreSink
from yl_monitor.store import BeatRecord, Store, StoreRefused, StoreUnavailable

SQL_WORDS = ("INSERT", "UPDATE", "SELECT", "beats", "nodes", "[SQL", "poison", "constraint")


def names_no_sql(message: str) -> bool:
    return not any(word in message for word in SQL_WORDS)


@contextmanager
def disk_full(store: Store) -> Iterator[None]:
    """Every write fails as on a full disk (the driver's own OperationalError); reads work."""
    dbapi = store.engine.dialect.loaded_dbapi

    def refuse(cursor, statement, parameters, context=None):  # type: ignore[no-untyped-def]
        if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE", "WITH"):
            raise dbapi.OperationalError("database or disk is full")

    event.listen(store.engine, "do_execute", refuse)
    event.listen(store.engine, "do_executemany", refuse)
    try:
        yield
    finally:
        event.remove(store.engine, "do_execute", refuse)
        event.remove(store.engine, "do_executemany", refuse)


@pytest.mark.expect_errors("writing to the database failed", "storing heartbeats failed")
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


@pytest.mark.expect_errors("writing to the database failed", "storing heartbeats failed")
def test_storage_error_message_names_no_sql(client, monitor) -> None:
    with monitor.store.engine.begin() as conn:
        conn.execute(text("DROP TABLE beats"))
    resp = client.post("/api/ar/nodes/n1/heartbeat", json={})
    assert resp.status_code == 503
    assert names_no_sql(resp.json["message"]), resp.json
    status = client.get("/api/status").json
    assert names_no_sql(status["storage"]["fault"])


def test_store_sink_leaves_out_only_the_beats_the_database_refuses(db_url: str) -> None:
    """A lone surrogate cannot be encoded for either database: that beat alone fails."""
    store = Store.from_url(db_url)
    try:
        batch = [
            BeatRecord(node_id=f"n{i}", received_at=100.0 + i, payload={"i": i}, status="ok")
            for i in range(9)
        ]
        batch[2].status = "bad\ud800"
        batch[7].node_name = "bad\udfff"
        outcomes = StoreSink(store).write(batch)
        refused = [i for i, o in enumerate(outcomes) if o.refused]
        assert refused == [2, 7]
        assert all(names_no_sql(outcomes[i].refused) for i in refused)
        assert store.count_beats() == 7
        assert store.get_node("n2") is None
        assert store.get_node("n8")["beats_received"] == 1
        with pytest.raises(StoreRefused):
            store.register("r1", "bad\ud800", "x", 100.0)
        store.register("r1", "fine", "x", 100.0)
        with pytest.raises(StoreRefused):
            store.set_paused("r1", True, "bad\ud800")
        assert store.get_node("r1")["paused"] is False
    finally:
        store.close()


def test_a_beat_the_database_refuses_fails_alone_in_its_batch(make_config, db_url, clock):
    """The probe: on PostgreSQL one bad beat failed its whole group commit (115 of 600
    innocent beats got 503). Here a unique index the test adds makes the database refuse a
    second 'poison' beat (an IntegrityError on both databases)."""
    app = create_app(make_config(db_url), clock=clock)
    monitor = app.extensions["yl_monitor"]
    try:
        with monitor.store.engine.begin() as conn:
            conn.execute(
                text("CREATE UNIQUE INDEX test_poison ON beats (status) WHERE status = 'poison'")
            )
        monitor.store.write_beats(
            [BeatRecord(node_id="p0", received_at=clock.now(), payload={}, status="poison")]
        )
        answers: dict[str, tuple[int, dict]] = {}

        def send(node_id: str, status: str) -> None:
            resp = app.test_client().post(
                f"/api/ar/nodes/{node_id}/heartbeat", json={"status": status}
            )
            answers[node_id] = (resp.status_code, resp.json)

        senders = [threading.Thread(target=send, args=(f"n{i}", "running")) for i in range(30)]
        senders.insert(17, threading.Thread(target=send, args=("guilty", "poison")))
        for t in senders:
            t.start()
        wait_for(lambda: monitor.writer.queue_depth == 31, timeout=10, interval=0.01)
        monitor.start(evaluator=False, checks=False, sampler=False)  # one batch of 31
        for t in senders:
            t.join(10)
        status, body = answers.pop("guilty")
        assert status == 422, body
        assert "refused" in body["message"]
        assert names_no_sql(body["message"]), body
        assert {code for code, _ in answers.values()} == {200}
        assert monitor.store.count_beats() == 1 + 30
        assert monitor.store.get_node("guilty") is None
        summary = client_status(app)
        assert summary["heartbeats"]["failed"] == 1
        assert summary["storage"]["fault"] is None  # one bad beat is not a storage outage
        assert client_health(app)["status"] == "healthy"
    finally:
        monitor.stop()


def client_status(app) -> dict:  # type: ignore[no-untyped-def]
    return app.test_client().get("/api/status").json


def client_health(app) -> dict:  # type: ignore[no-untyped-def]
    resp = app.test_client().get("/api/health")
    assert resp.status_code == 200  # a liveness probe must not kill a process over its disk
    return resp.json


@pytest.mark.expect_errors("writing to the database failed", "storing heartbeats failed")
def test_full_disk_degrades_health_and_writes_answer_503(client, monitor, clock) -> None:
    assert client.post("/api/ar/nodes/n1/heartbeat", json={}).status_code == 200
    clock.advance(500)
    monitor.evaluator.tick()  # n1 offline: an alert to acknowledge
    alert_id = monitor.store.open_alerts()[0]["id"]
    assert client.get("/api/health").json["status"] == "healthy"
    assert "reason" not in client.get("/api/health").json
    before = monitor.store.get_node("n1")
    with disk_full(monitor.store):
        beat = client.post("/api/ar/nodes/n1/heartbeat", json={})
        assert beat.status_code == 503
        assert names_no_sql(beat.json["message"]), beat.json
        health = client.get("/api/health")
        assert health.status_code == 200
        assert health.json["status"] == "degraded"
        assert "storage" in health.json["reason"]
        assert health.json["reason_key"] == "monitor.storage_refuses"  # (for the window)
        writes = [
            ("/api/ar/nodes/n1/pause", {"reason": "maintenance"}),
            ("/api/ar/nodes/n1/resume", None),
            ("/api/ar/nodes/register", {"node_id": "n2"}),
            (f"/api/alerts/{alert_id}/acknowledge", {"by": "ops"}),
        ]
        for path, body in writes:
            resp = client.post(path, json=body)
            assert resp.status_code == 503, (path, resp.get_data(as_text=True))
            assert resp.json["code"] == 503
            assert "could not be written" in resp.json["message"]
            assert names_no_sql(resp.json["message"]), resp.json
        assert client.get("/api/alerts").status_code == 200  # reads still answer
    assert monitor.store.get_node("n1") == before
    assert monitor.store.get_node("n2") is None
    assert monitor.store.get_alert(alert_id)["ack_at"] is None
    assert client.post("/api/ar/nodes/n1/heartbeat", json={}).status_code == 200
    health = client.get("/api/health").json
    assert health["status"] == "healthy"
    assert "reason" not in health
    assert monitor.storage_fault() is None


def test_health_sees_a_storage_fault_in_another_worker(make_config, clock) -> None:
    stats = new_stats(workers=2)
    app = create_app(make_config(), clock=clock, stats=stats)
    try:
        assert app.test_client().get("/api/health").json["status"] == "healthy"
        stats.bind(1)
        stats.set("hb_storage_fault", 1.0)  # what worker 1's writer publishes
        stats.bind(0)
        health = app.test_client().get("/api/health").json
        assert health["status"] == "degraded"
        assert "another worker" in health["reason"]
    finally:
        app.extensions["yl_monitor"].stop()


@pytest.mark.expect_errors("writing to the database failed", "storing heartbeats failed")
def test_no_node_goes_offline_for_beats_the_monitor_could_not_store(make_monitor, db_url, clock):
    """The probe: after a 12 s storage outage, nodes that kept beating got offline alerts.

    n1 and n2 beat every 2 s throughout (offline after 7 s without a stored beat); 'dead'
    stops 2 s before the outage, 'gone' was offline before it.
    """
    app, monitor = make_monitor(
        db_url, nodes={"default_interval": 2, "grace": 1, "offline_after_missed": 3}
    )
    client = app.test_client()
    start = clock.now()

    def beat(node_id: str, status: int) -> None:
        assert client.post(f"/api/ar/nodes/{node_id}/heartbeat", json={}).status_code == status

    def tick() -> None:
        with contextlib.suppress(StoreUnavailable):  # its writes fail in the outage too
            monitor.evaluator.tick()

    def state(node_id: str) -> str:
        return client.get(f"/api/ar/nodes/{node_id}").json["state"]

    beat("gone", 200)
    for _ in range(5):  # t = 0 .. 8
        for node_id in ("n1", "n2", "dead"):
            beat(node_id, 200)
        tick()
        clock.advance(2)
    assert state("gone") == "offline"
    with disk_full(monitor.store):
        for _ in range(6):  # t = 10 .. 20: 12 s of refused beats
            beat("n1", 503)
            beat("n2", 503)
            tick()
            assert state("n1") != "offline" and state("n2") != "offline"
            assert state("dead") != "offline"  # it may have beaten: the monitor cannot tell
            assert state("gone") == "offline"
            clock.advance(2)
    fault_at = start + 20
    while clock.now() < fault_at + 10:  # t = 22 .. 30
        beat("n1", 200)
        beat("n2", 200)
        tick()
        assert state("n1") == "online"
        if clock.now() <= fault_at + 7:
            assert state("dead") == "late"
        clock.advance(2)
    assert state("dead") == "offline"  # held back one offline window after the outage, no more
    opened = {(a["node_id"], a["cause"]) for a in client.get("/api/alerts").json["alerts"]}
    assert opened == {("gone", "offline"), ("dead", "offline")}
    for node_id in ("n1", "n2"):
        events = client.get(f"/api/ar/nodes/{node_id}").json["events"]
        assert "offline" not in {e["to"] for e in events}
