"""A retried heartbeat (same node, same beat id) is stored once, on every path to the store."""

from __future__ import annotations

import multiprocessing
import os
import signal
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from tests.procs import wait_for
from yl_monitor.ingest_process import run_ingest_server
from yl_monitor.sinks import DUPLICATE, STORED, RemoteSink
from yl_monitor.store import BeatRecord, Store


def beat(client, node_id="n1", headers=None, **body):  # type: ignore[no-untyped-def]
    return client.post(f"/api/ar/nodes/{node_id}/heartbeat", json=body, headers=headers or {})


def test_a_retried_beat_is_stored_once(client, monitor, clock) -> None:
    first = beat(client, beat_id="b-1", status="running")
    assert first.status_code == 200
    assert first.json["duplicate"] is False
    clock.advance(3)
    again = beat(client, beat_id="b-1", status="running")
    assert again.status_code == 200, again.json
    assert again.json["duplicate"] is True
    assert again.json["recorded"] is True
    node = monitor.store.get_node("n1")
    assert node["beats_received"] == 1
    assert node["last_seen"] == clock.now() - 3  # the retry changed nothing
    assert monitor.store.count_beats("n1") == 1
    # the same id from another node, and beats without an id, are beats of their own
    assert beat(client, "n2", beat_id="b-1").json["duplicate"] is False
    assert beat(client).json["duplicate"] is False
    assert beat(client).json["duplicate"] is False
    assert monitor.store.count_beats() == 4
    assert client.get("/api/status").json["heartbeats"]["duplicates"] == 1


def test_the_idempotency_key_header_names_the_beat_too(client, monitor) -> None:
    key = {"Idempotency-Key": "7f1c:0001"}
    assert beat(client, headers=key).json["duplicate"] is False
    assert beat(client, headers=key).json["duplicate"] is True
    assert beat(client, headers=key, beat_id="7f1c:0001").json["duplicate"] is True
    assert monitor.store.count_beats("n1") == 1
    differs = beat(client, headers=key, beat_id="other")
    assert differs.status_code == 400
    assert differs.json["field"] == "beat_id"
    bad = beat(client, headers={"Idempotency-Key": "no spaces please"})
    assert bad.status_code == 400
    assert bad.json["field"] == "Idempotency-Key"
    assert monitor.store.count_beats("n1") == 1


def rec(node_id: str, beat_id: str | None, t: float = 100.0) -> BeatRecord:
    return BeatRecord(node_id=node_id, received_at=t, payload={"t": t}, beat_id=beat_id)


def test_duplicates_within_one_group_commit(db_url: str) -> None:
    store = Store.from_url(db_url)
    try:
        batch = [rec("a", "1"), rec("a", "1", 101), rec("b", "1"), rec("a", None), rec("a", "2")]
        assert store.write_beats(batch) == [False, True, False, False, False]
        assert store.write_beats([rec("a", "2", 105), rec("a", "3", 106)]) == [True, False]
        assert store.get_node("a")["beats_received"] == 4
        assert store.count_beats("a") == 4
    finally:
        store.close()


def test_an_older_database_gets_the_beat_id_column_on_start(db_url: str) -> None:
    store = Store.from_url(db_url)
    with store.engine.begin() as conn:  # make it look like a database of the first release
        conn.execute(text("DROP INDEX ux_beats_node_beat"))
        conn.execute(text("ALTER TABLE beats DROP COLUMN beat_id"))
        conn.execute(
            text("INSERT INTO beats (node_id, received_at, payload) VALUES ('old', 1.0, '{}')")
        )
    store.close()

    store = Store.from_url(db_url)  # a newer monitor starts on it
    try:
        insp = inspect(store.engine)
        assert "beat_id" in {c["name"] for c in insp.get_columns("beats")}
        assert "ux_beats_node_beat" in {i["name"] for i in insp.get_indexes("beats")}
        assert store.write_beats([rec("old", "x"), rec("old", "x", 101)]) == [False, True]
        assert store.count_beats("old") == 2
        store.create_schema()  # starting again changes nothing
    finally:
        store.close()


def _serve(path: str, url: str) -> None:
    os._exit(run_ingest_server(path, Store.from_url(url)))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the ingest process runs where fork does")
def test_the_ingest_process_reports_duplicates_and_refusals(tmp_path: Path) -> None:
    """Pre-forked workers on SQLite send their batches to the ingest process."""
    url = f"sqlite:///{tmp_path / 'm.db'}"
    Store.from_url(url).close()
    path = str(tmp_path / "ingest.sock")
    proc = multiprocessing.get_context("fork").Process(target=_serve, args=(path, url))
    proc.start()
    sink = RemoteSink(path)
    try:
        wait_for(lambda: os.path.exists(path), timeout=10, interval=0.02)
        bad = rec("c", "9")
        bad.status = "bad\ud800"
        outcomes = sink.write([rec("a", "1"), rec("a", "1"), bad, rec("b", None)])
        assert outcomes[:2] == [STORED, DUPLICATE]
        assert outcomes[2].refused and "refused" in outcomes[2].refused
        assert outcomes[3] == STORED
        assert sink.write([rec("a", "1", 200)]) == [DUPLICATE]
    finally:
        sink.close()
        os.kill(proc.pid, signal.SIGTERM)
        proc.join(10)
    store = Store.from_url(url)
    try:
        assert store.count_beats() == 2
    finally:
        store.close()
