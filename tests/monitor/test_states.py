"""Node states from time, driven by an injected clock."""

from __future__ import annotations

import pytest

from shared.timeutil import ManualClock
from yl_monitor.config import NodesConfig
from yl_monitor.monitor import Monitor
from yl_monitor.states import expected_interval, node_state

CFG = NodesConfig(
    default_interval=10, type_intervals={"user-gui": 30}, grace=5, offline_after_missed=3
)


def node(**kw):
    base = {
        "node_id": "n",
        "node_type": "x",
        "registered_at": 1000.0,
        "last_seen": 1000.0,
        "paused": False,
        "beats_received": 1,
    }
    return {**base, **kw}


@pytest.mark.parametrize(
    ("age", "state"),
    [
        (0, "online"),
        (10, "online"),  # exactly on time is never late
        (15, "online"),  # within the grace
        (15.01, "late"),
        (35, "late"),  # three intervals plus grace is still late
        (35.01, "offline"),
    ],
)
def test_state_by_age(age: float, state: str) -> None:
    assert node_state(node(), 1000.0 + age, CFG).state == state


def test_never_seen_node_is_new_then_late_then_offline() -> None:
    n = node(last_seen=None, beats_received=0)
    assert node_state(n, 1005, CFG).state == "new"
    assert node_state(n, 1020, CFG).state == "late"
    assert node_state(n, 1040, CFG).state == "offline"


def test_paused_wins() -> None:
    assert node_state(node(paused=True), 99999, CFG).state == "paused"


def test_interval_sources_in_order() -> None:
    assert expected_interval(node(node_type="user-gui", declared_interval=2), CFG) == 30
    assert expected_interval(node(declared_interval=2, observed_interval=7), CFG) == 2
    assert expected_interval(node(observed_interval=7), CFG) == 7
    assert expected_interval(node(), CFG) == 10


@pytest.mark.parametrize(
    ("interval", "said"), [(1.0641693592071533, "1.1"), (10.0, "10"), (0.0512, "0.051")]
)
def test_an_offline_reason_says_the_interval_as_a_person_reads_it(
    interval: float, said: str
) -> None:
    """One learned from the beats' spacing was said as 'every 1.06417 s'."""
    verdict = node_state(node(observed_interval=interval), 1000.0 + 100 * interval + CFG.grace, CFG)
    assert verdict.state == "offline"
    assert str(verdict.reason).endswith(f"(expected every {said} s)"), str(verdict.reason)
    assert verdict.interval == interval  # (the API's expected_interval keeps it exact)


def test_interval_learned_from_beats(client, monitor: Monitor, clock: ManualClock) -> None:
    for _ in range(6):
        client.post("/api/ar/nodes/cam-1/heartbeat", json={"status": "running"})
        clock.advance(2)
    assert client.get("/api/ar/nodes/cam-1").json["expected_interval"] == pytest.approx(2, 0.01)
    clock.advance(2 + 5 + 1)  # past interval + grace
    assert client.get("/api/ar/nodes/cam-1").json["state"] == "late"


def test_every_state_change_is_stored(client, monitor: Monitor, clock: ManualClock) -> None:
    client.post("/api/ar/nodes/register", json={"node_id": "gui-1", "node_type": "user-gui"})
    monitor.evaluator.tick()
    client.post("/api/ar/nodes/gui-1/heartbeat", json={"status": "running"})
    monitor.evaluator.tick()
    clock.advance(36)
    monitor.evaluator.tick()
    clock.advance(60)
    monitor.evaluator.tick()
    monitor.evaluator.tick()  # no change, no event
    events = client.get("/api/ar/nodes/gui-1").json["events"]
    assert [(e["from"], e["to"]) for e in reversed(events)] == [
        ("new", "online"),
        ("online", "late"),
        ("late", "offline"),
    ]


def test_beat_exactly_on_time_never_late(client, monitor: Monitor, clock: ManualClock) -> None:
    for _ in range(5):
        client.post("/api/ar/nodes/gui-1/heartbeat", json={"node_type": "user-gui"})
        clock.advance(30)
        monitor.evaluator.tick()
        assert client.get("/api/ar/nodes/gui-1").json["state"] == "online"
