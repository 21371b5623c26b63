"""Beat history is bounded: by age and by count per node, as configured."""

from __future__ import annotations


def test_prune_keeps_recent_beats_within_the_limits(make_monitor, db_url, clock) -> None:
    app, monitor = make_monitor(
        db_url, storage={"history_max_age": 100, "history_max_per_node": 10}
    )
    client = app.test_client()
    for i in range(30):
        client.post("/api/ar/nodes/busy/heartbeat", json={"resources": {"cpu_percent": float(i)}})
        clock.advance(1)
    client.post("/api/ar/nodes/old/heartbeat", json={})
    clock.advance(150)
    client.post("/api/ar/nodes/fresh/heartbeat", json={})
    removed = monitor.evaluator.prune()
    assert removed == 30 + 1  # all of busy's and old's beats are past 100 s
    assert monitor.store.count_beats("fresh") == 1

    for i in range(25):
        client.post("/api/ar/nodes/busy/heartbeat", json={"resources": {"cpu_percent": float(i)}})
    monitor.evaluator.prune()
    hist = client.get("/api/ar/nodes/busy/history?limit=100").json["beats"]
    assert [b["cpu_percent"] for b in hist] == [float(i) for i in range(15, 25)]
    # the node itself, its counters and last payload stay
    assert client.get("/api/ar/nodes/old").json["beats_received"] == 1


def test_history_carries_a_studio_backends_frame_rates(make_monitor, db_url, clock) -> None:
    """The dashboard's fps sparkline: each beat's camera fps in and out (null where a beat
    has none, or a value no frame rate can be)."""
    app, _ = make_monitor(db_url)
    client = app.test_client()
    for body in (
        {"camera": {"state": "running", "fps_in": 30.0, "fps_out": 29.5}},
        {"camera": {"state": "running", "fps_out": 12}, "pipeline": {"fps_out": 99}},
        {"pipeline": {"fps_out": 24.0}},  # an older backend: no camera fps in
        {"camera": {"fps_in": "fast", "fps_out": -3}},
        {},
    ):
        assert client.post("/api/ar/nodes/be/heartbeat", json=body).status_code == 200
        clock.advance(1)
    beats = client.get("/api/ar/nodes/be/history").json["beats"]
    assert [(b["fps_in"], b["fps_out"]) for b in beats] == [
        (30.0, 29.5),
        (None, 12.0),
        (None, 24.0),
        (None, None),
        (None, None),
    ]
