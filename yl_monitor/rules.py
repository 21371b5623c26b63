"""Alert rules on a node's own figures, registered by cause: each a severity and a check on the
node's row in the store (the columns of ``nodes`` in schema.py) that gives the alert's message
while the cause holds, else None.

The evaluator (evaluator.py) asks every rule on every tick, opens one alert per node and
cause (the database enforces it) and resolves it once the cause has been gone for
``alerts.resolve_hold`` s; a paused node has no causes. ``offline`` and ``health_check``
come from the node's state and its health checks and are the evaluator's own.

A new rule is one function and one ``RULES.register("<cause>", AlertRule(...))``; a rule
that needs a figure not on the row also needs the column (schema.py) and the write
(``Store.write_beats``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from shared.messages import Message, msg
from shared.registry import Registry
from yl_monitor.config import AlertsConfig

Severity = Literal["critical", "warning", "info"]


@dataclass(frozen=True)
class AlertRule:
    severity: Severity
    check: Callable[[dict[str, Any], AlertsConfig], Message | None]


RULES: Registry[AlertRule] = Registry("alert rule")


def _cpu_high(node: dict[str, Any], cfg: AlertsConfig) -> Message | None:
    if (node.get("cpu_streak") or 0) < cfg.consecutive_beats:
        return None
    return msg(
        "alert.cpu_high",
        node=node["node_id"],
        cpu_percent=node.get("cpu_percent"),
        beats=node["cpu_streak"],
        threshold=cfg.cpu_percent,
    )


def _memory_high(node: dict[str, Any], cfg: AlertsConfig) -> Message | None:
    if (node.get("mem_streak") or 0) < cfg.consecutive_beats:
        return None
    return msg("alert.memory_high", node=node["node_id"], beats=node["mem_streak"])


RULES.register("cpu_high", AlertRule("warning", _cpu_high))
RULES.register("memory_high", AlertRule("warning", _memory_high))
