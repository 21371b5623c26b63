"""The store's group commit: several beats of one node in one batch are applied in order."""

from __future__ import annotations

from yl_monitor.store import BeatRecord, Store, new_node_row


def rec(node: str, t: float, cpu: float | None, high: int | None, **kw) -> BeatRecord:
    return BeatRecord(
        node_id=node, received_at=t, payload={"n": t}, cpu_percent=cpu, cpu_high=high, **kw
    )


def test_one_batch_with_repeated_nodes(db_url: str) -> None:
    store = Store.from_url(db_url)
    try:
        known: set[str] = set()
        store.write_beats(
            [
                rec("a", 100.0, 95.0, 1, node_name="Alpha", node_type="user-gui"),
                rec("b", 100.5, 10.0, 0),
                rec("a", 101.0, 96.0, 1, interval=2.0),
                rec("a", 102.0, None, None, status="error"),
            ],
            known,
        )
        a = store.get_node("a")
        assert a is not None
        assert (a["node_name"], a["node_type"]) == ("Alpha", "user-gui")
        assert a["beats_received"] == 3
        assert a["last_seen"] == 102.0
        assert a["cpu_streak"] == 2  # two high beats; the third reported no CPU
        assert a["declared_interval"] == 2.0
        assert a["status"] == "error"
        assert a["last_payload"] == '{"n":102.0}'
        assert a["observed_interval"] is not None
        assert store.count_beats("a") == 3
        assert store.get_node("b")["beats_received"] == 1
        assert known == {"a", "b"}
        assert [h["received_at"] for h in store.history("a", 10)] == [100.0, 101.0, 102.0]
    finally:
        store.close()


def test_a_new_node_starts_the_same_whichever_way_it_first_appears(db_url: str) -> None:
    """Registered, first beating, or first probed: one set of defaults (new_node_row)."""
    store = Store.from_url(db_url)
    try:
        store.register("reg", "R", "t", 100.0)
        store.write_beats([BeatRecord(node_id="beat", received_at=100.0, payload={})])
        store.record_probe("probe", "P", "t", "http://x/health", 5.0, False, "down", 100.0)
        defaults = new_node_row("", "", "", 100.0)
        for node_id in ("reg", "beat", "probe"):
            node = store.get_node(node_id)
            assert node is not None
            assert node["registered_at"] == node["state_since"] == 100.0, node_id
            assert (node["state"], node["paused"], node["cpu_streak"], node["mem_streak"]) == (
                defaults["state"],
                defaults["paused"],
                0,
                0,
            ), node_id
        assert store.get_node("reg")["beats_received"] == 0
        assert store.get_node("beat")["beats_received"] == 1  # its own beat, after creation
        assert store.get_node("probe")["probe_failures"] == 1  # its own failed probe
    finally:
        store.close()
