"""Node state from time: pure functions, no database and no clock of their own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.messages import Message, msg
from yl_monitor.config import NodesConfig

STATES = ("new", "online", "late", "offline", "paused")


@dataclass(frozen=True, slots=True)
class Verdict:
    state: str
    interval: float
    age: float | None  # seconds since the last sign of life (None: never seen)
    reason: Message  # why, for a person (str() is the English)


def expected_interval(node: dict[str, Any], cfg: NodesConfig) -> float:
    """Config per node type, else what the node declared, else what its beats show.

    A node that is also polled by the active checks is not expected more often than the
    poll interval, so a healthy polled service is never late between two polls.
    """
    interval = cfg.type_intervals.get(node.get("node_type") or "")
    if interval is None:
        interval = node.get("declared_interval") or node.get("observed_interval")
    if not interval or interval <= 0:
        interval = cfg.default_interval
    probe = node.get("probe_interval")
    if probe and not node.get("beats_received") and probe > interval:
        interval = probe
    return max(float(interval), 0.05)


def said(seconds: float) -> float:
    """An interval as a person reads it: 10, 1.1, 0.05 (one learned from the beats' spacing
    is 1.0641693592071533)."""
    return round(seconds, 1) if seconds >= 1 else float(f"{seconds:.2g}")


def _held_back(
    node: dict[str, Any], ref: float, now: float, window: float, storage_fault_at: float | None
) -> bool:
    """True when storage refused beats after this node's last sign of life, less than one
    offline window ago: the node may well have beaten then, so it is not called offline.
    A node already offline (as stored) stays offline."""
    return (
        storage_fault_at is not None
        and storage_fault_at > ref
        and now - storage_fault_at <= window
        and node.get("state") != "offline"
    )


def node_state(
    node: dict[str, Any], now: float, cfg: NodesConfig, storage_fault_at: float | None = None
) -> Verdict:
    """``new``, ``online``, ``late``, ``offline`` or ``paused`` at time ``now``.

    A beat exactly on time (age == interval) is online, and so is one up to ``grace``
    seconds past it; ``late`` after that; ``offline`` once ``offline_after_missed``
    intervals (plus grace) have gone by. A node never seen counts from its registration.

    ``storage_fault_at`` is when the monitor last failed to store beats: beats that reached
    it but were not stored left no trace, so no node is called offline until one offline
    window after that (it stays ``late``, and raises no offline alert).
    """
    interval = expected_interval(node, cfg)
    if node.get("paused"):
        return Verdict("paused", interval, None, msg("state.paused"))
    last_seen = node.get("last_seen")
    ref = last_seen if last_seen is not None else node["registered_at"]
    age = max(0.0, now - ref)
    late_after = interval + cfg.grace
    offline_after = interval * cfg.offline_after_missed + cfg.grace
    if age > offline_after and _held_back(node, ref, now, offline_after, storage_fault_at):
        assert storage_fault_at is not None
        held = msg("state.held_back", age=age, fault_ago=now - storage_fault_at)
        return Verdict("late", interval, age, held)
    if age > offline_after:
        if last_seen is None:
            why = msg("state.offline.no_sign_of_life", age=age, interval=said(interval))
        else:
            why = msg("state.offline.no_beat", age=age, interval=said(interval))
        return Verdict("offline", interval, age, why)
    if age > late_after:
        return Verdict("late", interval, age, msg("state.late", overdue=age - interval))
    if last_seen is None:
        return Verdict("new", interval, None, msg("state.new"))
    return Verdict("online", interval, age, msg("state.online"))
