"""Moves node states and opens and resolves alerts, from the store and the clock.

Every decision is read from the database, so two monitors sharing one PostgreSQL reach the
same states and open each alert once (the store's conditional writes decide races).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.logs import FaultLatch
from shared.messages import Message, msg
from shared.timeutil import Clock
from shared.worker import PeriodicWorker
from shared.workerstats import WorkerStats
from yl_monitor.config import AlertsConfig, NodesConfig, StorageConfig
from yl_monitor.rules import RULES
from yl_monitor.states import node_state
from yl_monitor.store import Store

log = logging.getLogger(__name__)

LOGGED_CHANGES = 20  # a burst (a thousand nodes starting) is summarised, not listed

SEVERITY = {"offline": "critical", "health_check": "critical"}  # the others: rules.py


def severity(cause: str) -> str:
    return SEVERITY.get(cause) or RULES.get(cause).severity


@dataclass(slots=True)
class TickResult:
    transitions: int = 0
    opened: int = 0
    resolved: int = 0


def active_causes(
    node: dict[str, Any],
    state: str,
    reason: Message,
    alerts_cfg: AlertsConfig,
    probe_failures: int = 1,
) -> dict[str, Message]:
    """The alert causes that hold for a node now, each with its message."""
    if state == "paused":
        return {}
    causes: dict[str, Message] = {}
    name = node["node_id"]
    if state == "offline":
        # (the offline reason's own key, as an alert: alert.offline.no_beat, ...)
        key = "alert." + reason.key.removeprefix("state.")
        causes["offline"] = Message(key, {"node": name, **reason.args})
        str(causes["offline"])  # (a reason without an alert of its own fails here)
    if node.get("probe_ok") is False and (node.get("probe_failures") or 0) >= probe_failures:
        causes["health_check"] = msg(
            "alert.health_check",
            node=name,
            failures=node.get("probe_failures", 0),
            error=node.get("probe_error") or "no answer",
        )
    for cause, rule in RULES.items():  # the node's own figures (rules.py)
        message = rule.check(node, alerts_cfg)
        if message is not None:
            causes[cause] = message
    return causes


class Evaluator:
    """Owner of the evaluation thread; ``tick()`` is one pass and is what tests drive."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        nodes_cfg: NodesConfig,
        alerts_cfg: AlertsConfig,
        storage_cfg: StorageConfig,
        probe_failures_before_alert: int = 1,
        stats: WorkerStats | None = None,
        storage_fault_at: Callable[[], float | None] | None = None,
    ) -> None:
        self._store = store
        self._storage_fault_at = storage_fault_at or (lambda: None)
        self._clock = clock
        self._nodes_cfg = nodes_cfg
        self._alerts_cfg = alerts_cfg
        self._storage_cfg = storage_cfg
        self._probe_failures = probe_failures_before_alert
        self._worker = PeriodicWorker(
            "evaluator", self._run_once, lambda: self._alerts_cfg.evaluate_interval, logger=log
        )
        self._fault = FaultLatch(log, "evaluating node states")
        self._last_prune = 0.0
        self._stats = stats or WorkerStats(self.STATS)
        self.ticks = 0

    STATS = ("ev_ticks", "ev_fault")

    def reconfigure(self, nodes_cfg: NodesConfig, alerts_cfg: AlertsConfig) -> None:
        """New thresholds and intervals, used from the next tick on."""
        self._nodes_cfg = nodes_cfg
        self._alerts_cfg = alerts_cfg

    @property
    def fault(self) -> str | None:
        return self._fault.active

    def tick(self) -> TickResult:
        now = self._clock.now()
        result = TickResult()
        holding: dict[tuple[str, str], Message] = {}
        changes: list[tuple[str, str, str, str]] = []
        fault_at = self._storage_fault_at()
        for node in self._store.list_nodes(with_payload=False):
            verdict = node_state(node, now, self._nodes_cfg, fault_at)
            if verdict.state != node["state"]:
                reason = str(verdict.reason)
                changes.append((node["node_id"], node["state"], verdict.state, reason))
            for cause, message in active_causes(
                node, verdict.state, verdict.reason, self._alerts_cfg, self._probe_failures
            ).items():
                holding[(node["node_id"], cause)] = message
        result.transitions = self._store.transition_states(changes, now)
        for node_id, old, new, reason in changes[:LOGGED_CHANGES]:
            log.info("node %s: %s -> %s (%s)", node_id, old, new, reason)
        if len(changes) > LOGGED_CHANGES:
            log.info("... and %d more state changes", len(changes) - LOGGED_CHANGES)
        open_now = {(a["node_id"], a["cause"]): a for a in self._store.open_alerts()}
        for key, message in holding.items():
            alert = open_now.get(key)
            if alert is None:
                if self._store.open_alert(key[0], key[1], severity(key[1]), message, now):
                    result.opened += 1
                    log.warning("alert opened: %s", message)
            elif alert["clear_since"] is not None:
                self._store.set_alert_clear_since(alert["id"], None, message)
        hold = self._alerts_cfg.resolve_hold
        for key, alert in open_now.items():
            if key in holding:
                continue
            if alert["clear_since"] is None:
                self._store.set_alert_clear_since(alert["id"], now, None)
                if hold > 0:
                    continue
                alert["clear_since"] = now
            if now - alert["clear_since"] >= hold and self._store.resolve_alert(alert["id"], now):
                result.resolved += 1
                log.info("alert resolved: %s (%s)", alert["message"], alert["cause"])
        self.ticks += 1
        return result

    def prune(self) -> int:
        now = self._clock.now()
        return self._store.prune(
            now - self._storage_cfg.history_max_age, self._storage_cfg.history_max_per_node
        )

    def _run_once(self) -> None:
        """One round of the ``evaluator`` thread: a tick, and pruning when it is due."""
        try:
            self.tick()
            now = self._clock.now()
            if now - self._last_prune >= self._storage_cfg.prune_interval:
                self._last_prune = now
                removed = self.prune()
                if removed:
                    log.info("pruned %d old beats", removed)
        except Exception as exc:  # shown in /api/status as the evaluator's fault
            self._fault.fault(f"{type(exc).__name__}: {str(exc)[:200]}")
        else:
            self._fault.clear()
        self._stats.set("ev_ticks", self.ticks)
        self._stats.set("ev_fault", 1.0 if self._fault.active else 0.0)

    def start(self) -> None:
        self._worker.start()

    def stop(self) -> None:
        self._worker.stop(timeout=10)
