"""The monitor as a domain object: what the API calls, with no Flask in it."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from shared.messages import Message, UnknownMessage, msg
from shared.sysmetrics import SystemMetricsSampler
from shared.timeutil import Clock, iso, utc_now_iso
from shared.wire.monitor import (
    Acknowledgement,
    AcknowledgeOut,
    ActiveChecks,
    AlertListOut,
    AlertView,
    EvaluatorState,
    HealthCheckView,
    HealthOut,
    HeartbeatCounts,
    HeartbeatOut,
    HistoryBeat,
    HistoryOut,
    MonitorSummary,
    NodeDetailOut,
    NodeListOut,
    NodeResources,
    NodeView,
    RegisterOut,
    StateEvent,
    StatusOut,
    StorageState,
)
from shared.workerstats import WorkerStats
from yl_monitor import SERVICE_NAME, __version__
from yl_monitor.checks import ActiveChecker
from yl_monitor.config import MonitorConfig
from yl_monitor.evaluator import Evaluator
from yl_monitor.ingest import HeartbeatWriter
from yl_monitor.models import (
    CPU_PERCENT_MAX,
    MEMORY_MB_MAX,
    AcknowledgeIn,
    HeartbeatIn,
    RegisterIn,
    finite_in,
    valid_beat_id,
)
from yl_monitor.sinks import BeatSink
from yl_monitor.states import STATES, node_state
from yl_monitor.store import BeatRecord, Store, StoreRefused

log = logging.getLogger(__name__)


class NodeNotFound(LookupError):
    """No node with that id."""


class AlertNotFound(LookupError):
    """No alert with that id."""


class Conflict(Exception):
    """The request contradicts the resource's state."""


class Invalid(ValueError):
    """Bad input the body's model cannot see (a header, say); ``field`` names it."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _alert_message(row: dict[str, Any]) -> Message:
    """An alert's stored message as a Message; one stored before keys (or whose key the
    catalogue no longer renders with its args) goes out as its text."""
    key, args = row.get("message_key"), row.get("message_args")
    if key and args:
        try:
            keyed = Message(key, json.loads(args))
            str(keyed)
            return keyed
        except (ValueError, UnknownMessage):
            pass
    return Message("text", {"text": row["message"]})


@contextmanager
def _refusal_logged(what: str) -> Iterator[None]:
    try:
        yield
    except StoreRefused as exc:
        log.warning("the database refused %s: %s", what, exc.detail)
        raise


def _finite_float(text: str) -> float | None:
    value = float(text)
    return value if math.isfinite(value) else None


def _stored_payload(text: str | None) -> Any:
    """A stored payload, parsed: a number JSON cannot carry (1e400) reads as null, and text
    that is not JSON at all as None, so a listing always answers strict JSON."""
    if not text:
        return None
    try:
        return json.loads(text, parse_float=_finite_float, parse_constant=lambda _name: None)
    except (ValueError, RecursionError):
        return None


def beat_id_of(body: HeartbeatIn, idempotency_key: str | None) -> str | None:
    """The beat's id: ``beat_id`` in the body, else the ``Idempotency-Key`` header."""
    if idempotency_key is None:
        return body.beat_id
    if not valid_beat_id(idempotency_key):
        raise Invalid(
            "Idempotency-Key must be 1-64 characters of letters, digits, '.', '_', ':' or '-'",
            "Idempotency-Key",
        )
    if body.beat_id is not None and body.beat_id != idempotency_key:
        raise Invalid("beat_id in the body differs from the Idempotency-Key header", "beat_id")
    return idempotency_key


def _rate(section: Any, key: str) -> float | None:
    value = section.get(key) if isinstance(section, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and 0 <= value <= 10000 else None


def _frame_rates(payload: Any) -> dict[str, float | None]:
    """A studio backend's frame rates in a beat (``camera.fps_in``, ``camera.fps_out``, else
    ``pipeline.fps_out``): the dashboard's sparkline. None where a beat has none."""
    if not isinstance(payload, dict):
        return {"fps_in": None, "fps_out": None}
    camera = payload.get("camera")
    fps_out = _rate(camera, "fps_out")
    return {
        "fps_in": _rate(camera, "fps_in"),
        "fps_out": fps_out if fps_out is not None else _rate(payload.get("pipeline"), "fps_out"),
    }


def _resources(payload: dict[str, Any]) -> tuple[float | None, float | None, float | None]:
    """(cpu_percent, memory_percent, memory_mb) from a GUI's or a backend's payload.

    A figure that is not a finite number within its range (the ``system`` section is not
    validated) is left out, as if not reported."""
    res = payload.get("resources") or {}
    reported = payload.get("system")
    system: dict[str, Any] = reported if isinstance(reported, dict) else {}
    cpu = res.get("cpu_percent", system.get("cpu_percent"))
    mem_pct = res.get("memory_percent")
    if mem_pct is None and isinstance(system.get("memory"), dict):
        mem_pct = system["memory"].get("percent")
    mem_mb = res.get("memory_mb")
    return (
        finite_in(cpu, 0, CPU_PERCENT_MAX),
        finite_in(mem_pct, 0, 100),
        finite_in(mem_mb, 0, MEMORY_MB_MAX),
    )


STAT_NAMES = HeartbeatWriter.STATS + Evaluator.STATS


def new_stats(workers: int = 1) -> WorkerStats:
    """Shared-memory figures for ``workers`` processes (made before they are forked)."""
    return WorkerStats(STAT_NAMES, workers)


class Monitor:
    """Registry, heartbeats, states and alerts. The owner calls ``start()`` and ``stop()``.

    In a pre-forked server each worker process has its own Monitor on the same database;
    ``stats`` (shared memory) lets any of them report the figures of all.
    """

    def __init__(
        self,
        config: MonitorConfig,
        store: Store,
        clock: Clock | None = None,
        stats: WorkerStats | None = None,
        sink: BeatSink | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock or Clock()
        self.started_at = time.time()
        self.stats = stats or new_stats()
        self.writer = HeartbeatWriter(
            store,
            sink=sink,
            queue_max=config.storage.queue_max,
            stats=self.stats,
            clock=self.clock,
        )
        self.evaluator = Evaluator(
            store,
            self.clock,
            config.nodes,
            config.alerts,
            config.storage,
            config.checks.failures_before_alert,
            stats=self.stats,
            storage_fault_at=self.storage_fault_at,
        )
        services = {
            key: svc
            for key, svc in config.services.services.items()
            if key != config.checks.self_name
        }
        interval = config.checks.interval or config.services.discovery.interval
        self.checker = (
            ActiveChecker(store, self.clock, services, interval)
            if (config.checks.enabled and config.services.discovery.enabled)
            else None
        )
        self.sampler = SystemMetricsSampler(interval=2.0)

    # ---- lifecycle -------------------------------------------------------------------------

    LIVE_SECTIONS = ("logging", "nodes", "alerts")

    def apply_reload(self, new: MonitorConfig) -> tuple[list[str], list[str]]:
        """Take the sections that can change while running; returns (applied, need restart)."""
        applied = [
            name for name in self.LIVE_SECTIONS if getattr(new, name) != getattr(self.config, name)
        ]
        restart = [
            name
            for name in type(new).model_fields
            if name not in self.LIVE_SECTIONS and getattr(new, name) != getattr(self.config, name)
        ]
        self.config.logging = new.logging
        self.config.nodes = new.nodes
        self.config.alerts = new.alerts
        self.evaluator.reconfigure(new.nodes, new.alerts)
        return applied, restart

    def start(self, *, evaluator: bool = True, checks: bool = True, sampler: bool = True) -> None:
        self.writer.start()
        if evaluator:
            self.evaluator.start()
        if checks and self.checker is not None:
            self.checker.start()
        if sampler:
            self.sampler.start()

    def stop(self) -> None:
        """Stop polling and evaluating, then commit every queued beat and close the store."""
        if self.checker is not None:
            self.checker.stop()
        self.evaluator.stop()
        self.sampler.stop()
        self.writer.stop()
        self.store.close()

    # ---- nodes -----------------------------------------------------------------------------

    def register(self, body: RegisterIn) -> RegisterOut:
        with _refusal_logged(f"registering {body.node_id}"):
            row, created = self.store.register(
                body.node_id,
                body.node_name or body.node_id,
                body.node_type,
                self.clock.now(),
                body.register_ts(),
            )
        if created:
            log.info("node registered: %s (%s)", body.node_id, body.node_type)
        return RegisterOut(status="registered" if created else "updated", node=self.node_view(row))

    def heartbeat(
        self,
        node_id: str,
        body: HeartbeatIn,
        raw: dict[str, Any] | None = None,
        raw_text: str | None = None,
        idempotency_key: str | None = None,
    ) -> HeartbeatOut:
        """Queue the beat, wait until it is committed, and say what was recorded.

        ``raw`` (and its JSON ``raw_text``) is the body as sent, already validated as
        ``body``; it is stored as the payload, so sections the monitor does not model are
        kept exactly, and the text need not be encoded again.

        A beat whose id (``beat_id``, or the ``Idempotency-Key`` header) its node already
        used is a retry: it is answered ``duplicate: true`` and stores nothing new.
        """
        beat_id = beat_id_of(body, idempotency_key)
        if raw is None:
            payload = body.model_dump(mode="json", exclude_none=True)
            payload["node_id"] = node_id
        else:
            payload = raw
        cpu, mem_pct, mem_mb = _resources(payload)
        alerts = self.config.alerts
        cpu_high = None if cpu is None else int(cpu >= alerts.cpu_percent)
        mem_high = None
        if mem_pct is not None:
            mem_high = int(mem_pct >= alerts.memory_percent)
        if mem_mb is not None and alerts.memory_mb is not None:
            mem_high = int(bool(mem_high) or mem_mb >= alerts.memory_mb)
        now = self.clock.now()
        record = BeatRecord(
            node_id=node_id,
            received_at=now,
            payload=payload,
            node_name=body.node_name,
            node_type=body.node_type,
            sent_at=body.sent_at(),
            status=body.status,
            version=body.version,
            interval=body.interval,
            cpu_percent=cpu,
            memory_percent=mem_pct,
            memory_mb=mem_mb,
            cpu_high=cpu_high,
            mem_high=mem_high,
            beat_id=beat_id,
        )
        if raw_text is not None:
            record.payload_text = raw_text  # fills the cached property
        outcome = self.writer.submit(record).wait(self.config.storage.commit_wait)
        return HeartbeatOut(
            recorded=True,
            duplicate=outcome.duplicate,
            node_id=node_id,
            received_at=iso(now),
            status=body.status,
        )

    def node_view(self, row: dict[str, Any], now: float | None = None) -> NodeView:
        return NodeView(**self._node_fields(row, now))

    def _node_fields(self, row: dict[str, Any], now: float | None = None) -> dict[str, Any]:
        """A node's view from its row, as NodeView's fields (a detail adds to them)."""
        now = self.clock.now() if now is None else now
        verdict = node_state(row, now, self.config.nodes, self.storage_fault_at())
        fields: dict[str, Any] = {
            "node_id": row["node_id"],
            "node_name": row["node_name"],
            "node_type": row["node_type"],
            "state": verdict.state,
            **verdict.reason.fields("state_reason"),
            "state_since": iso(row["state_since"]) if verdict.state == row["state"] else iso(now),
            "registered_at": iso(row["registered_at"]),
            "last_seen": iso(row["last_seen"]),
            "last_seen_ago": None if row["last_seen"] is None else round(now - row["last_seen"], 3),
            "last_beat_at": iso(row["last_beat_at"]),
            "expected_interval": verdict.interval,
            "beats_received": row["beats_received"],
            "status": row["status"],
            "version": row["version"],
            "resources": NodeResources(
                cpu_percent=row["cpu_percent"],
                memory_percent=row["memory_percent"],
                memory_mb=row["memory_mb"],
            ),
            "paused": bool(row["paused"]),
            "paused_reason": row["paused_reason"],
            "health_check": None
            if row["probe_at"] is None
            else HealthCheckView(
                url=row["probe_url"],
                ok=bool(row["probe_ok"]),
                error=row["probe_error"],
                checked_at=iso(row["probe_at"]),
                failures=row["probe_failures"],
            ),
        }
        if "last_payload" in row:
            payload = _stored_payload(row["last_payload"])
            if isinstance(payload, dict):
                payload.setdefault("node_id", row["node_id"])
            fields["last_payload"] = payload
        return fields

    def nodes(self) -> NodeListOut:
        now = self.clock.now()
        nodes = [self.node_view(r, now) for r in self.store.list_nodes()]
        by_state: dict[str, int] = {}
        for node in nodes:
            by_state[node.state] = by_state.get(node.state, 0) + 1
        return NodeListOut(nodes=nodes, count=len(nodes), summary=by_state, timestamp=utc_now_iso())

    def node(self, node_id: str) -> NodeDetailOut:
        row = self.store.get_node(node_id)
        if row is None:
            raise NodeNotFound(f"no node with id {node_id!r}")
        events = [
            StateEvent.model_validate(
                {
                    "from": e["from_state"],
                    "to": e["to_state"],
                    "at": iso(e["at"]),
                    "reason": e["reason"],
                }
            )
            for e in self.store.state_events(node_id, limit=20)
        ]
        alerts = [self.alert_view(a) for a in self.store.list_alerts(True, node_id)]
        return NodeDetailOut(**self._node_fields(row), events=events, open_alerts=alerts)

    def history(self, node_id: str, limit: int, since: float | None) -> HistoryOut:
        if self.store.get_node(node_id) is None:
            raise NodeNotFound(f"no node with id {node_id!r}")
        beats = [
            HistoryBeat(
                received_at=iso(b["received_at"]),
                t=b["received_at"],
                sent_at=iso(b["sent_at"]),
                status=b["status"],
                cpu_percent=b["cpu_percent"],
                memory_percent=b["memory_percent"],
                memory_mb=b["memory_mb"],
                **_frame_rates(_stored_payload(b["payload"])),
            )
            for b in self.store.history(node_id, limit, since)
        ]
        return HistoryOut(node_id=node_id, beats=beats, count=len(beats))

    def set_paused(self, node_id: str, paused: bool, reason: str | None) -> NodeDetailOut:
        with _refusal_logged(f"pausing {node_id}"):
            found = self.store.set_paused(node_id, paused, reason)
        if not found:
            raise NodeNotFound(f"no node with id {node_id!r}")
        log.info("node %s %s", node_id, "paused" if paused else "resumed")
        return self.node(node_id)

    # ---- alerts ----------------------------------------------------------------------------

    def alert_view(self, row: dict[str, Any], now: float | None = None) -> AlertView:
        now = self.clock.now() if now is None else now
        acked = row["ack_at"] is not None and (row["ack_until"] is None or row["ack_until"] > now)
        if row["resolved_at"] is not None:
            status = "resolved"
        elif acked:
            status = "acknowledged"
        else:
            status = "firing"
        return AlertView(
            id=row["id"],
            alert_id=row["id"],
            node_id=row["node_id"],
            cause=row["cause"],
            severity=row["severity"],
            **_alert_message(row).fields("message"),
            status=status,
            opened_at=iso(row["opened_at"]),
            resolved_at=iso(row["resolved_at"]),
            clearing_since=iso(row["clear_since"]),
            acknowledgement=None
            if row["ack_at"] is None
            else Acknowledgement(
                by=row["ack_by"],
                reason=row["ack_reason"],
                at=iso(row["ack_at"]),
                until=iso(row["ack_until"]),
                expired=not acked,
            ),
        )

    def alerts(self, status: str, node_id: str | None, limit: int) -> AlertListOut:
        open_only = status in ("open", "firing", "acknowledged")
        now = self.clock.now()
        views = [self.alert_view(a, now) for a in self.store.list_alerts(open_only, node_id, limit)]
        if status in ("firing", "acknowledged", "resolved"):
            views = [v for v in views if v.status == status]
        return AlertListOut(alerts=views, count=len(views))

    def acknowledge(self, alert_id: int, body: AcknowledgeIn) -> AcknowledgeOut:
        """Acknowledge; an id no row can have (past signed 64-bit) is unknown, like any other."""
        existing = self.store.get_alert(alert_id)
        if existing is None:
            raise AlertNotFound(f"no alert with id {alert_id}")
        if existing["resolved_at"] is not None and existing["ack_at"] is None:
            raise Conflict(f"alert {alert_id} is already resolved")
        now = self.clock.now()
        with _refusal_logged(f"acknowledging alert {alert_id}"):
            row = self.store.acknowledge(alert_id, body.by, body.reason, body.until_ts(now), now)
        assert row is not None
        return AcknowledgeOut(status="acknowledged", alert=self.alert_view(row, now))

    # ---- status ----------------------------------------------------------------------------

    def storage_fault(self) -> str | None:
        """Why heartbeats cannot be stored now (in this worker or another), else None."""
        if self.writer.fault:
            return self.writer.fault
        if self.stats.total("hb_storage_fault"):
            return "a storage fault in another worker process"
        return None

    def storage_fault_at(self) -> float | None:
        """When any worker last failed to store beats (clock time), else None."""
        st = self.stats
        latest = max(st.get("hb_storage_fault_at", w) for w in range(st.workers))
        return latest or None

    def health(self) -> HealthOut:
        """Liveness: ``degraded`` (with a ``reason``) while storage refuses heartbeats.

        Read from memory only, so it answers even when the database does not.
        """
        fault = self.storage_fault()
        said = {"service": SERVICE_NAME, "version": __version__, "timestamp": utc_now_iso()}
        if fault is None:
            return HealthOut(status="healthy", **said)
        why = msg("monitor.storage_refuses", fault=fault)
        return HealthOut(status="degraded", **why.fields("reason"), **said)

    def summary(self) -> MonitorSummary:
        now = self.clock.now()
        counts = dict.fromkeys(STATES, 0)
        fault_at = self.storage_fault_at()
        for row in self.store.list_nodes(with_payload=False):
            counts[node_state(row, now, self.config.nodes, fault_at).state] += 1
        st = self.stats
        w = self.writer
        storage_fault = self.storage_fault()
        evaluator_fault = self.evaluator.fault or (
            "the evaluator reports a fault" if st.total("ev_fault") else None
        )
        return MonitorSummary(
            nodes_by_state=counts,
            nodes_total=sum(counts.values()),
            open_alerts=self.store.count_open_alerts(),
            heartbeats=HeartbeatCounts(
                accepted=int(st.total("hb_accepted")),
                stored=int(st.total("hb_stored")),
                duplicates=int(st.total("hb_duplicates")),
                failed=int(st.total("hb_failed")),
                rejected_queue_full=int(st.total("hb_rejected_full")),
                queue_depth=int(st.total("hb_queue_depth")),
                batches=int(st.total("hb_batches")),
                last_batch_size=w.last_batch_size,
                last_commit_ms=round(w.last_commit_ms, 3),
            ),
            storage=StorageState(backend=self.store.dialect, fault=storage_fault),
            evaluator=EvaluatorState(ticks=int(st.total("ev_ticks")), fault=evaluator_fault),
            workers=st.workers,
            active_checks=None
            if self.checker is None
            else ActiveChecks(services=self.checker.service_names),
            version=__version__,
            uptime=round(time.time() - self.started_at, 3),
        )

    def status(self) -> StatusOut:
        """The summary, and ``degraded`` with the faults while storage or the evaluator fail."""
        summary = self.summary()
        faults = [f for f in (summary.storage.fault, summary.evaluator.fault) if f]
        return StatusOut(
            **dict(summary),
            service=SERVICE_NAME,
            status="degraded" if faults else "healthy",
            faults=faults,
            timestamp=utc_now_iso(),
        )
