"""The monitor's repository: every read and write of the database goes through :class:`Store`.

SQLite (WAL, busy timeout) by default; a PostgreSQL URL works the same. Each method is one
transaction.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    case,
    cast,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url

from yl_monitor.schema import alerts, beats, metadata, nodes, state_events

log = logging.getLogger(__name__)


@dataclass(slots=True)
class BeatRecord:
    """One accepted heartbeat, ready to be written."""

    node_id: str
    received_at: float
    payload: dict[str, Any]
    node_name: str | None = None
    node_type: str | None = None
    sent_at: float | None = None
    status: str | None = None
    version: str | None = None
    interval: float | None = None
    cpu_percent: float | None = None
    memory_percent: float | None = None
    memory_mb: float | None = None
    cpu_high: int | None = None  # 1 high, 0 normal, None not reported
    mem_high: int | None = None


def normalise_url(url: str) -> str:
    """postgres:// and postgresql:// use psycopg 3; a SQLite file gets its folder created."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, sqlite_synchronous: str = "FULL") -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=24,
            max_overflow=24,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={sqlite_synchronous}")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=16, max_overflow=16)


def _payload_text(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


class Store:
    """Nodes, beats, state events and alerts in one SQL database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        self._beat_update = self._make_beat_update()

    @classmethod
    def from_url(cls, url: str, sqlite_synchronous: str = "FULL") -> Store:
        store = cls(make_engine(url, sqlite_synchronous))
        store.create_schema()
        return store

    def create_schema(self) -> None:
        metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # ---- nodes -----------------------------------------------------------------------------

    def register(
        self,
        node_id: str,
        node_name: str,
        node_type: str,
        now: float,
        register_time: float | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Create the node, or update its name and type; returns (row, created)."""
        with self.engine.begin() as conn:
            created = self._insert_node(conn, node_id, node_name, node_type, now)
            if register_time is not None or not created:
                conn.execute(
                    update(nodes)
                    .where(nodes.c.node_id == node_id)
                    .values(node_name=node_name, node_type=node_type, register_time=register_time)
                )
            row = conn.execute(select(nodes).where(nodes.c.node_id == node_id)).mappings().one()
        return dict(row), created

    def _insert_node(
        self, conn: Connection, node_id: str, name: str, node_type: str, now: float
    ) -> bool:
        stmt = (
            self._insert(nodes)
            .values(
                node_id=node_id,
                node_name=name,
                node_type=node_type,
                registered_at=now,
                state="new",
                state_since=now,
                beats_received=0,
                cpu_streak=0,
                mem_streak=0,
                paused=False,
                probe_failures=0,
            )
            .on_conflict_do_nothing(index_elements=["node_id"])
            .returning(nodes.c.node_id)
        )
        return conn.execute(stmt).scalar() is not None

    def _make_beat_update(self) -> Any:
        ts = bindparam("b_ts")
        cpu_high = cast(bindparam("b_cpu_high"), Integer)
        mem_high = cast(bindparam("b_mem_high"), Integer)
        return (
            update(nodes)
            .where(nodes.c.node_id == bindparam("b_node_id"))
            .values(
                node_name=func.coalesce(bindparam("b_name"), nodes.c.node_name),
                last_seen=case((nodes.c.last_seen > ts, nodes.c.last_seen), else_=ts),
                last_beat_at=ts,
                last_payload=bindparam("b_payload"),
                beats_received=nodes.c.beats_received + 1,
                status=bindparam("b_status"),
                version=func.coalesce(bindparam("b_version"), nodes.c.version),
                declared_interval=func.coalesce(bindparam("b_interval"), nodes.c.declared_interval),
                observed_interval=case(
                    (nodes.c.last_beat_at.is_(None), nodes.c.observed_interval),
                    (nodes.c.observed_interval.is_(None), ts - nodes.c.last_beat_at),
                    else_=nodes.c.observed_interval * 0.8 + (ts - nodes.c.last_beat_at) * 0.2,
                ),
                cpu_percent=bindparam("b_cpu"),
                memory_percent=bindparam("b_mem_pct"),
                memory_mb=bindparam("b_mem_mb"),
                cpu_streak=case(
                    (cpu_high == 1, nodes.c.cpu_streak + 1),
                    (cpu_high == 0, 0),
                    else_=nodes.c.cpu_streak,
                ),
                mem_streak=case(
                    (mem_high == 1, nodes.c.mem_streak + 1),
                    (mem_high == 0, 0),
                    else_=nodes.c.mem_streak,
                ),
            )
        )

    def write_beats(self, batch: list[BeatRecord], known: set[str] | None = None) -> None:
        """Store a group of beats in one transaction (a group commit).

        Nodes not yet known are registered first. ``known`` is a cache of ids already in
        the database; it only saves statements, correctness does not depend on it.
        """
        if not batch:
            return
        with self.engine.begin() as conn:
            for rec in batch:
                if known is not None and rec.node_id in known:
                    continue
                self._insert_node(
                    conn,
                    rec.node_id,
                    rec.node_name or rec.node_id,
                    rec.node_type or "unknown",
                    rec.received_at,
                )
                if known is not None:
                    known.add(rec.node_id)
            conn.execute(
                insert(beats),
                [
                    {
                        "node_id": r.node_id,
                        "received_at": r.received_at,
                        "sent_at": r.sent_at,
                        "status": r.status,
                        "cpu_percent": r.cpu_percent,
                        "memory_percent": r.memory_percent,
                        "memory_mb": r.memory_mb,
                        "payload": _payload_text(r.payload),
                    }
                    for r in batch
                ],
            )
            conn.execute(
                self._beat_update,
                [
                    {
                        "b_node_id": r.node_id,
                        "b_ts": r.received_at,
                        "b_name": r.node_name,
                        "b_payload": _payload_text(r.payload),
                        "b_status": r.status,
                        "b_version": r.version,
                        "b_interval": r.interval,
                        "b_cpu": r.cpu_percent,
                        "b_mem_pct": r.memory_percent,
                        "b_mem_mb": r.memory_mb,
                        "b_cpu_high": r.cpu_high,
                        "b_mem_high": r.mem_high,
                    }
                    for r in batch
                ],
            )

    def known_node_ids(self) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.execute(select(nodes.c.node_id)).scalars())

    def get_node(self, node_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(nodes).where(nodes.c.node_id == node_id)).mappings().first()
        return dict(row) if row else None

    def list_nodes(self, with_payload: bool = True) -> list[dict[str, Any]]:
        cols = [c for c in nodes.c if with_payload or c.name != "last_payload"]
        with self.engine.connect() as conn:
            rows = conn.execute(select(*cols).order_by(nodes.c.node_id)).mappings().all()
        return [dict(r) for r in rows]

    def set_paused(self, node_id: str, paused: bool, reason: str | None) -> bool:
        with self.engine.begin() as conn:
            res = conn.execute(
                update(nodes)
                .where(nodes.c.node_id == node_id)
                .values(paused=paused, paused_reason=reason if paused else None)
            )
        return res.rowcount == 1

    def record_probe(
        self,
        node_id: str,
        node_name: str,
        node_type: str,
        url: str,
        interval: float,
        ok: bool,
        error: str | None,
        now: float,
    ) -> None:
        """Feed an active health check into the node: a pass is a sign of life."""
        with self.engine.begin() as conn:
            self._insert_node(conn, node_id, node_name, node_type, now)
            values: dict[str, Any] = {
                "probe_url": url,
                "probe_interval": interval,
                "probe_ok": ok,
                "probe_error": error,
                "probe_at": now,
            }
            if ok:
                values["probe_failures"] = 0
                values["last_seen"] = case((nodes.c.last_seen > now, nodes.c.last_seen), else_=now)
            else:
                values["probe_failures"] = nodes.c.probe_failures + 1
            conn.execute(update(nodes).where(nodes.c.node_id == node_id).values(**values))

    def transition_state(self, node_id: str, old: str, new: str, now: float, reason: str) -> bool:
        """Move a node from ``old`` to ``new`` and record the event, once across instances."""
        with self.engine.begin() as conn:
            res = conn.execute(
                update(nodes)
                .where(and_(nodes.c.node_id == node_id, nodes.c.state == old))
                .values(state=new, state_since=now)
            )
            if res.rowcount != 1:
                return False
            conn.execute(
                insert(state_events).values(
                    node_id=node_id, from_state=old, to_state=new, at=now, reason=reason
                )
            )
        return True

    def state_events(self, node_id: str, limit: int = 50) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = (
                conn.execute(
                    select(state_events)
                    .where(state_events.c.node_id == node_id)
                    .order_by(state_events.c.id.desc())
                    .limit(limit)
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    def history(self, node_id: str, limit: int, since: float | None = None) -> list[dict[str, Any]]:
        """The node's most recent beats, oldest first."""
        query = select(
            beats.c.id,
            beats.c.received_at,
            beats.c.sent_at,
            beats.c.status,
            beats.c.cpu_percent,
            beats.c.memory_percent,
            beats.c.memory_mb,
        ).where(beats.c.node_id == node_id)
        if since is not None:
            query = query.where(beats.c.received_at > since)
        query = query.order_by(beats.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [dict(r) for r in reversed(rows)]

    def count_beats(self, node_id: str | None = None) -> int:
        query = select(func.count()).select_from(beats)
        if node_id is not None:
            query = query.where(beats.c.node_id == node_id)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def prune(self, older_than: float, max_per_node: int) -> int:
        """Drop beats past the retention age, and past the per-node count."""
        with self.engine.begin() as conn:
            removed = conn.execute(delete(beats).where(beats.c.received_at < older_than)).rowcount
            ranked = select(
                beats.c.id,
                func.row_number()
                .over(partition_by=beats.c.node_id, order_by=beats.c.id.desc())
                .label("rn"),
            ).subquery()
            stale = select(ranked.c.id).where(ranked.c.rn > max_per_node)
            removed += conn.execute(delete(beats).where(beats.c.id.in_(stale))).rowcount
        return removed

    # ---- alerts ----------------------------------------------------------------------------

    def open_alert(
        self, node_id: str, cause: str, severity: str, message: str, now: float
    ) -> int | None:
        """Open an alert unless one is open for this node and cause; returns the new id.

        One atomic conditional insert: the partial unique index decides, so concurrent
        evaluators (threads or monitor instances) open it once.
        """
        stmt = (
            self._insert(alerts)
            .values(node_id=node_id, cause=cause, severity=severity, message=message, opened_at=now)
            .on_conflict_do_nothing(
                index_elements=["node_id", "cause"], index_where=alerts.c.resolved_at.is_(None)
            )
            .returning(alerts.c.id)
        )
        with self.engine.begin() as conn:
            return conn.execute(stmt).scalar()

    def open_alerts(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = (
                conn.execute(
                    select(alerts).where(alerts.c.resolved_at.is_(None)).order_by(alerts.c.id)
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    def set_alert_clear_since(
        self, alert_id: int, value: float | None, message: str | None
    ) -> None:
        values: dict[str, Any] = {"clear_since": value}
        if message is not None:
            values["message"] = message
        with self.engine.begin() as conn:
            conn.execute(
                update(alerts)
                .where(and_(alerts.c.id == alert_id, alerts.c.resolved_at.is_(None)))
                .values(**values)
            )

    def resolve_alert(self, alert_id: int, now: float) -> bool:
        with self.engine.begin() as conn:
            res = conn.execute(
                update(alerts)
                .where(and_(alerts.c.id == alert_id, alerts.c.resolved_at.is_(None)))
                .values(resolved_at=now)
            )
        return res.rowcount == 1

    def get_alert(self, alert_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).mappings().first()
        return dict(row) if row else None

    def acknowledge(
        self, alert_id: int, by: str, reason: str | None, until: float | None, now: float
    ) -> dict[str, Any] | None:
        """Record who acknowledged, why and until when; a repeat changes nothing."""
        with self.engine.begin() as conn:
            conn.execute(
                update(alerts)
                .where(and_(alerts.c.id == alert_id, alerts.c.ack_at.is_(None)))
                .values(ack_by=by, ack_reason=reason, ack_until=until, ack_at=now)
            )
            row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).mappings().first()
        return dict(row) if row else None

    def list_alerts(
        self, open_only: bool, node_id: str | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        query = select(alerts)
        if open_only:
            query = query.where(alerts.c.resolved_at.is_(None))
        if node_id is not None:
            query = query.where(alerts.c.node_id == node_id)
        query = query.order_by(alerts.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings().all()]

    def count_open_alerts(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(alerts).where(alerts.c.resolved_at.is_(None))
                ).scalar_one()
            )
