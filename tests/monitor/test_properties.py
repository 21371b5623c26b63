"""Properties, checked on generated input (hypothesis): what the API accepts reads back as
strict JSON, and node states follow the clock as the README says."""

from __future__ import annotations

import itertools
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from shared.timeutil import ManualClock
from yl_monitor.app import create_app
from yl_monitor.config import AlertsConfig, NodesConfig
from yl_monitor.evaluator import active_causes
from yl_monitor.models import EPOCH_MAX, EPOCH_MIN, HeartbeatIn
from yl_monitor.states import node_state

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def strict_json(text: str) -> Any:
    def refuse(name: str) -> None:
        raise AssertionError(f"{name} in an answer: not JSON")

    return json.loads(text, parse_constant=refuse)


# ---- (a) any accepted heartbeat reads back ----------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)
int64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
# any code point, NUL and lone surrogates included (the API refuses them where it stores them)
text = st.text(st.characters(exclude_categories=()), max_size=12)
scalars = st.none() | st.booleans() | int64 | finite | text
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=16,
)
KNOWN = set(HeartbeatIn.model_fields) | {"node_id"}
_ids = itertools.count()
sections = st.dictionaries(text.filter(lambda k: k not in KNOWN), json_values, max_size=4)
resources = st.fixed_dictionaries(
    {},
    optional={
        "cpu_percent": st.floats(0, 10000),
        "memory_mb": st.floats(0, 1e9),
        "memory_percent": st.floats(0, 100),
        "threads": st.integers(0, 10_000_000),
        "swap": finite,  # extra keys are kept as sent
    },
)
bodies = st.builds(
    lambda known, extra: {**extra, **known},
    st.fixed_dictionaries(
        {},
        optional={
            "status": st.text(max_size=32),
            "version": st.text(min_size=1, max_size=64),
            "node_name": st.text(min_size=1, max_size=128),
            "uptime": st.floats(0, 1e10),
            "interval": st.floats(0.001, 86400),
            "timestamp": st.floats(EPOCH_MIN, EPOCH_MAX),
            "beat_id": st.from_regex(r"[A-Za-z0-9._:-]{1,64}", fullmatch=True),
            "resources": resources,
            "gui": st.dictionaries(text, json_values, max_size=4),
            "system": st.fixed_dictionaries({"cpu_percent": finite}),
        },
    ),
    sections,
)


@SETTINGS
@given(body=bodies, wait=st.floats(0, 120))
def test_any_accepted_heartbeat_reads_back_as_strict_json(app_mon, clock, body, wait) -> None:
    app, monitor = app_mon
    client = app.test_client()
    node_id = f"p{next(_ids)}"
    resp = client.post(f"/api/ar/nodes/{node_id}/heartbeat", json=body)
    event(f"answered {resp.status_code}")
    if resp.status_code != 200:  # refused as a whole: a 4xx naming what, and nothing stored
        assert 400 <= resp.status_code < 500, resp.get_data(as_text=True)
        assert monitor.store.get_node(node_id) is None
        return
    clock.advance(wait)
    monitor.evaluator.tick()  # states and alerts (offline, cpu_high) from what was stored
    detail = strict_json(client.get(f"/api/ar/nodes/{node_id}").get_data(as_text=True))
    assert detail["last_payload"] == {**body, "node_id": node_id}
    for path in ("/api/ar/nodes", "/api/alerts?status=all", f"/api/ar/nodes/{node_id}/history"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        strict_json(answer.get_data(as_text=True))


# ---- (b) the node state machine ---------------------------------------------------------------

configs = st.builds(
    lambda interval, grace, missed: NodesConfig(
        default_interval=interval, type_intervals={}, grace=grace, offline_after_missed=missed
    ),
    st.floats(0.1, 100),
    st.floats(0, 20),
    st.integers(2, 5),
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("beat"), st.just(0.0)),
        st.tuples(st.just("wait"), st.floats(0, 400)),
        st.tuples(st.just("pause"), st.just(0.0)),
        st.tuples(st.just("resume"), st.just(0.0)),
    ),
    max_size=30,
)
ORDER = {"online": 0, "late": 1, "offline": 2}


def expected(age: float, seen: bool, cfg: NodesConfig) -> str:
    if age <= cfg.default_interval + cfg.grace:
        return "online" if seen else "new"
    if age <= cfg.default_interval * cfg.offline_after_missed + cfg.grace:
        return "late"
    return "offline"


@settings(max_examples=100, deadline=None)
@given(cfg=configs, steps=steps)
def test_state_follows_the_last_sign_of_life(cfg: NodesConfig, steps) -> None:
    clock = ManualClock()
    node: dict[str, Any] = {
        "node_id": "n",
        "node_type": "x",
        "registered_at": clock.now(),
        "last_seen": None,
        "paused": False,
        "beats_received": 0,
        "cpu_streak": 99,  # high for ever: only a pause silences it
        "mem_streak": 99,
        "probe_ok": False,
        "probe_failures": 99,
    }
    previous = None
    for action, amount in steps:
        if action == "beat":
            node["last_seen"] = clock.now()
            node["beats_received"] += 1
        elif action == "wait":
            clock.advance(amount)
        else:
            node["paused"] = action == "pause"
        now = clock.now()
        verdict = node_state(node, now, cfg)
        causes = active_causes(node, verdict.state, verdict.reason, AlertsConfig())
        if node["paused"]:
            assert verdict.state == "paused"
            assert causes == {}  # a paused node never alerts
            previous = None
            continue
        seen = node["last_seen"] is not None
        ref = node["last_seen"] if seen else node["registered_at"]
        assert verdict.state == expected(now - ref, seen, cfg)
        if action == "beat":
            assert verdict.state == "online"  # a beat always brings it back
        if action == "wait" and previous in ORDER and verdict.state in ORDER:
            assert ORDER[verdict.state] >= ORDER[previous]  # time alone never improves it
        assert ("offline" in causes) == (verdict.state == "offline")
        previous = verdict.state


@settings(max_examples=100, deadline=None)
@given(
    cfg=configs,
    since_beat=st.floats(0, 1000),
    fault_after_beat=st.floats(-100, 1000),
    stored_state=st.sampled_from(["online", "late", "offline"]),
)
def test_a_storage_fault_only_holds_back_offline(
    cfg: NodesConfig, since_beat: float, fault_after_beat: float, stored_state: str
) -> None:
    """Beats the monitor could not store leave no trace: offline waits one offline window
    after the fault; every other verdict is as without the fault."""
    now = 1_700_000_000.0
    node = {"registered_at": now - 5000, "last_seen": now - since_beat, "state": stored_state}
    fault_at = min(node["last_seen"] + fault_after_beat, now)
    plain = node_state(node, now, cfg)
    held = node_state(node, now, cfg, storage_fault_at=fault_at)
    window = cfg.default_interval * cfg.offline_after_missed + cfg.grace
    holds = fault_at > node["last_seen"] and now - fault_at <= window and stored_state != "offline"
    if plain.state == "offline" and holds:
        assert held.state == "late"
    else:
        assert held.state == plain.state


# ---- (b') the same through the API, the evaluator and the store --------------------------------

ops = st.lists(
    st.one_of(
        st.tuples(st.just("beat"), st.integers(0, 2)),
        st.tuples(st.just("wait"), st.floats(0, 60)),
        st.tuples(st.just("pause"), st.integers(0, 2)),
        st.tuples(st.just("resume"), st.integers(0, 2)),
        st.tuples(st.just("tick"), st.just(0)),
    ),
    max_size=25,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=ops)
def test_paused_nodes_never_alert_and_beats_bring_nodes_back(make_config, ops) -> None:
    clock = ManualClock()
    with tempfile.TemporaryDirectory() as tmp:
        config = make_config(
            f"sqlite:///{Path(tmp) / 'm.db'}",
            nodes={"default_interval": 5, "grace": 1, "offline_after_missed": 2},
            alerts={"consecutive_beats": 1, "cpu_percent": 50},
        )
        app = create_app(config, clock=clock)
        monitor = app.extensions["yl_monitor"]
        monitor.start(evaluator=False, checks=False, sampler=False)
        client = app.test_client()
        paused: set[str] = set()
        try:
            for action, arg in ops:
                node_id = f"n{arg}"
                if action == "beat":
                    body = {"resources": {"cpu_percent": 99.0}}  # high: a cpu_high cause
                    assert (
                        client.post(f"/api/ar/nodes/{node_id}/heartbeat", json=body).status_code
                        == 200
                    )
                    if node_id not in paused:
                        assert client.get(f"/api/ar/nodes/{node_id}").json["state"] == "online"
                elif action == "wait":
                    clock.advance(arg)
                elif action in ("pause", "resume"):
                    resp = client.post(f"/api/ar/nodes/{node_id}/{action}")
                    known = monitor.store.get_node(node_id) is not None
                    assert resp.status_code == (200 if known else 404)
                    if known:
                        (paused.add if action == "pause" else paused.discard)(node_id)
                else:
                    monitor.evaluator.tick()
                    open_for = {a["node_id"] for a in monitor.store.open_alerts()}
                    assert not open_for & paused  # resolve_hold is 0 in these tests
                for node_id in paused:
                    assert client.get(f"/api/ar/nodes/{node_id}").json["state"] == "paused"
        finally:
            monitor.stop()
