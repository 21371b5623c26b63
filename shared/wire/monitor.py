"""What yl_monitor answers (its OpenAPI document is built from these)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from shared.wire.base import MessageArgs, MessageKey, SystemFigures, Wire

# States are strings, not enums: a client validating with an older copy of these models
# must still read the answer of a monitor that has learnt a new state.
NodeState = Annotated[
    str,
    Field(description="new, online, late, offline or paused (a newer monitor may add more)"),
]
AlertStatus = Annotated[
    str, Field(description="firing, acknowledged or resolved (a newer monitor may add more)")
]
HealthStatus = Annotated[
    str,
    Field(description="healthy, or degraded while storage refuses writes (reason says why)"),
]


class HealthOut(Wire):
    status: HealthStatus
    service: str
    version: str
    timestamp: str
    reason: str | None = Field(None, description="Why it is degraded (English).")
    reason_key: MessageKey = None
    reason_args: MessageArgs = None


class NodeResources(Wire):
    cpu_percent: float | None
    memory_percent: float | None
    memory_mb: float | None


class HealthCheckView(Wire):
    url: str | None
    ok: bool
    error: str | None
    checked_at: str | None
    failures: int | None


class NodeView(Wire):
    node_id: str
    node_name: str | None
    node_type: str | None
    state: NodeState
    state_reason: str | None
    state_reason_key: MessageKey = None
    state_reason_args: MessageArgs = None
    state_since: str | None
    registered_at: str | None
    last_seen: str | None
    last_seen_ago: float | None
    last_beat_at: str | None
    expected_interval: float | None
    beats_received: int
    status: str | None
    version: str | None
    resources: NodeResources
    paused: bool
    paused_reason: str | None
    health_check: HealthCheckView | None
    last_payload: Any = Field(
        None, description="The last beat as the node sent it (open: each node type its own)."
    )


class NodeListOut(Wire):
    nodes: list[NodeView]
    count: int
    summary: dict[str, int]
    timestamp: str


class StateEvent(Wire):
    from_: str | None = Field(None, alias="from")
    to: str
    at: str | None
    reason: str | None


class Acknowledgement(Wire):
    by: str | None
    reason: str | None
    at: str | None
    until: str | None
    expired: bool


class AlertView(Wire):
    id: int
    alert_id: int
    node_id: str
    cause: str
    severity: str
    message: str | None
    message_key: MessageKey = None
    message_args: MessageArgs = None
    status: AlertStatus
    opened_at: str | None
    resolved_at: str | None
    clearing_since: str | None
    acknowledgement: Acknowledgement | None


class NodeDetailOut(NodeView):
    events: list[StateEvent]
    open_alerts: list[AlertView]


class RegisterOut(Wire):
    status: Literal["registered", "updated"]
    node: NodeView


class HeartbeatOut(Wire):
    recorded: bool
    node_id: str
    received_at: str | None
    status: str | None
    duplicate: bool | None = None


class HistoryBeat(Wire):
    received_at: str | None
    t: float
    sent_at: str | None
    status: str | None
    cpu_percent: float | None
    memory_percent: float | None
    memory_mb: float | None
    fps_in: float | None = Field(None, description="A studio backend's camera fps in")
    fps_out: float | None = Field(None, description="... and out of its pipeline")


class HistoryOut(Wire):
    node_id: str
    beats: list[HistoryBeat]
    count: int


class AlertListOut(Wire):
    alerts: list[AlertView]
    count: int


class AcknowledgeOut(Wire):
    status: Literal["acknowledged"]
    alert: AlertView


class HeartbeatCounts(Wire):
    """Summed over the monitor's worker processes."""

    accepted: int = Field(..., description="Beats accepted into the queue.")
    stored: int = Field(..., description="Beats committed to the store.")
    duplicates: int = Field(..., description="Retried beats answered without storing again.")
    failed: int = Field(..., description="Beats whose commit failed.")
    rejected_queue_full: int
    queue_depth: int = Field(..., description="Beats waiting for a commit.")
    batches: int
    last_batch_size: int
    last_commit_ms: float


class StorageState(Wire):
    backend: str = Field(..., description="sqlite or postgresql.")
    fault: str | None = Field(..., description="Why heartbeats cannot be stored now.")


class EvaluatorState(Wire):
    ticks: int
    fault: str | None


class ActiveChecks(Wire):
    services: list[str] = Field(..., description="The services the monitor polls.")


class MonitorSummary(Wire):
    """The monitor's own figures (GET /api/status, and ``monitor`` in GET /metrics)."""

    nodes_by_state: dict[str, int]
    nodes_total: int
    open_alerts: int
    heartbeats: HeartbeatCounts
    storage: StorageState
    evaluator: EvaluatorState
    workers: int = Field(..., description="Worker processes serving the API.")
    active_checks: ActiveChecks | None = Field(..., description="null: polling is off.")
    version: str
    uptime: float = Field(..., description="Seconds since this worker started.")


class StatusOut(MonitorSummary):
    service: str
    status: HealthStatus
    faults: list[str]
    timestamp: str


class MetricsOut(Wire):
    service: str
    system: SystemFigures
    monitor: MonitorSummary
    timestamp: str
