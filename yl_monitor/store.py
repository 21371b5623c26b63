"""The monitor's repository: every read and write of the database goes through :class:`Store`.

SQLite (WAL, busy timeout) by default; a PostgreSQL URL works the same. Each method is one
transaction.

Database errors leave as one of two exceptions whose text names no SQL: :class:`StoreRefused`
(the database refused these values: a data or integrity error) and :class:`StoreUnavailable`
(it could not be read or written at all: disk full, server gone). The driver's own words are
logged, once per outage.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import (
    and_,
    case,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.schema import CreateIndex

try:
    import fcntl
except ImportError:  # Windows: one worker process, the mutex is enough
    fcntl = None  # type: ignore[assignment]

from shared.logs import FaultLatch
from shared.messages import Message, as_message
from yl_monitor.schema import (
    ID_MAX,
    MIGRATED_INDEXES,
    MIGRATIONS,
    alerts,
    beats,
    metadata,
    nodes,
    state_events,
)

log = logging.getLogger(__name__)


class StoreError(Exception):
    """A database error, said without SQL; ``detail`` has the driver's words, for the log."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class StoreRefused(StoreError):
    """The database refused the values (a data or integrity error): retrying will not help."""


class StoreUnavailable(StoreError):
    """The database could not be read or written (disk full, server gone, locked)."""


# What the database (or its driver, encoding a value) raises for values it will not take.
REFUSALS = (DataError, IntegrityError, ValueError, OverflowError)


def error_name(exc: BaseException) -> str:
    """The driver's class name for a database error (``DataError``, ``DiskFull``): no SQL."""
    return type(getattr(exc, "orig", None) or exc).__name__


@contextmanager
def translated(doing: str) -> Iterator[None]:
    """Turn database errors into :class:`StoreRefused` / :class:`StoreUnavailable`."""
    try:
        yield
    except StoreError:
        raise
    except REFUSALS as exc:
        raise StoreRefused(
            f"the database refused the values ({error_name(exc)})", str(exc)[:500]
        ) from exc
    except SQLAlchemyError as exc:
        raise StoreUnavailable(
            f"the database could not be {doing} ({error_name(exc)})", str(exc)[:500]
        ) from exc


def finite(value: float | None) -> float | None:
    """None for NaN and the infinities: the store never writes a float JSON cannot carry."""
    return value if value is None or math.isfinite(value) else None


@dataclass
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
    beat_id: str | None = None  # the node's name for this beat: a retry is stored once

    FLOATS = ("sent_at", "interval", "cpu_percent", "memory_percent", "memory_mb")

    def __post_init__(self) -> None:
        for name in self.FLOATS:
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                setattr(self, name, None)

    @cached_property
    def payload_text(self) -> str:
        """The payload as JSON: the body as the node sent it, when the API kept it."""
        return json.dumps(self.payload, separators=(",", ":"), ensure_ascii=False)

    def beat_row(self) -> tuple[Any, ...]:
        """Values for ``BeatSql.BEAT_COLS``."""
        return (
            self.node_id, self.received_at, self.sent_at, self.status, self.cpu_percent,
            self.memory_percent, self.memory_mb, self.payload_text, self.beat_id,
        )  # fmt: skip

    def node_update_row(self) -> tuple[Any, ...]:
        """Values for the ``b`` table of ``BeatSql.update_nodes``."""
        return (
            self.node_id, self.received_at, self.node_name, self.payload_text, self.status,
            self.version, self.interval, self.cpu_percent, self.memory_percent,
            self.memory_mb, self.cpu_high, self.mem_high,
        )  # fmt: skip

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (to the ingest process) as its JSON text, not the nested dict."""
        state = dict(self.__dict__)
        state["payload_text"] = self.payload_text
        state["payload"] = None
        return state


def normalise_url(url: str) -> str:
    """postgres:// and postgresql:// use psycopg 3; a SQLite file gets its folder created."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_url_safe(url: str) -> str:
    """The URL with any password hidden, for logs."""
    return make_url(normalise_url(url)).render_as_string(hide_password=True)


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


class WriteLock:
    """Serialises writers to one SQLite file: threads by a mutex, processes by flock.

    SQLite lets one writer in at a time and makes the others poll with growing sleeps (its
    busy handler), which costs pre-forked workers tens of milliseconds a commit. Waiting on
    this lock instead wakes the next writer the moment the last one committed. flock is
    released by the kernel if its holder dies, so a crashed worker cannot wedge the others.
    """

    def __init__(self, path: str | None) -> None:
        self._mutex = threading.Lock()
        self._path = path
        self._fd: int | None = None
        self._pid: int | None = None

    def _file(self) -> int | None:
        if self._path is None or fcntl is None:
            return None
        if self._fd is None or self._pid != os.getpid():  # each process opens its own
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._mutex:
            fd = self._file()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                if fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None


def _message_columns(message: Message | str) -> dict[str, Any]:
    """An alert's message as its columns: the English, the key and the args (JSON)."""
    keyed = as_message(message)
    return {
        "message": str(keyed),
        "message_key": keyed.key,
        "message_args": json.dumps(keyed.args, allow_nan=False),
    }


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _flat(rows: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    return tuple(value for row in rows for value in row)


def new_node_row(node_id: str, name: str, node_type: str, now: float) -> dict[str, Any]:
    """A node's row when it is first seen (registered, probed or beating): its defaults,
    written here once for every way a node is created."""
    return {
        "node_id": node_id,
        "node_name": name,
        "node_type": node_type,
        "registered_at": now,
        "state": "new",
        "state_since": now,
        "beats_received": 0,
        "cpu_streak": 0,
        "mem_streak": 0,
        "paused": False,
        "probe_failures": 0,
    }


NEW_NODE_COLUMNS = tuple(new_node_row("", "", "", 0.0))


class BeatSql:
    """Hand-written SQL for the ingest hot path, cached per row count.

    SQLite and PostgreSQL both take ``INSERT ... ON CONFLICT DO NOTHING`` and
    ``WITH b(...) AS (VALUES ...) UPDATE ... FROM b``; only the placeholders differ, and
    PostgreSQL needs the VALUES columns typed (a column NULL in every row has no type).
    """

    NODE_COLS = ", ".join(NEW_NODE_COLUMNS)
    BEAT_COLS = (
        "node_id, received_at, sent_at, status, cpu_percent, memory_percent, memory_mb, payload, "
        "beat_id"
    )
    UPDATE_TYPES = (
        "varchar",
        "float8",
        "varchar",
        "text",
        "varchar",
        "varchar",
        "float8",
        "float8",
        "float8",
        "float8",
        "int",
        "int",
    )
    UPDATE_SET = """
        node_name = COALESCE(b.name, nodes.node_name),
        last_seen = CASE WHEN nodes.last_seen > b.ts THEN nodes.last_seen ELSE b.ts END,
        last_beat_at = b.ts,
        last_payload = b.payload,
        beats_received = nodes.beats_received + 1,
        status = b.status,
        version = COALESCE(b.version, nodes.version),
        declared_interval = COALESCE(b.interval, nodes.declared_interval),
        observed_interval = CASE
            WHEN nodes.last_beat_at IS NULL THEN nodes.observed_interval
            WHEN nodes.observed_interval IS NULL THEN b.ts - nodes.last_beat_at
            ELSE nodes.observed_interval * 0.8 + (b.ts - nodes.last_beat_at) * 0.2 END,
        cpu_percent = b.cpu,
        memory_percent = b.mem_pct,
        memory_mb = b.mem_mb,
        cpu_streak = CASE WHEN b.cpu_high = 1 THEN nodes.cpu_streak + 1
            WHEN b.cpu_high = 0 THEN 0 ELSE nodes.cpu_streak END,
        mem_streak = CASE WHEN b.mem_high = 1 THEN nodes.mem_streak + 1
            WHEN b.mem_high = 0 THEN 0 ELSE nodes.mem_streak END"""

    def __init__(self, dialect: str) -> None:
        self.pg = dialect == "postgresql"
        self.mark = "%s" if self.pg else "?"
        self._cache: dict[tuple[str, int], str] = {}

    def _row(self, n: int, types: tuple[str, ...] | None = None) -> str:
        if types and self.pg:
            return "(" + ", ".join(f"{self.mark}::{t}" for t in types) + ")"
        return "(" + ", ".join([self.mark] * n) + ")"

    def _get(self, kind: str, rows: int) -> str:
        key = (kind, rows)
        sql = self._cache.get(key)
        if sql is None:
            sql = self._build(kind, rows)
            if len(self._cache) < 2000:
                self._cache[key] = sql
        return sql

    def _build(self, kind: str, rows: int) -> str:
        if kind == "nodes":
            values = ", ".join([self._row(len(NEW_NODE_COLUMNS))] * rows)
            return (
                f"INSERT INTO nodes ({self.NODE_COLS}) VALUES {values} "
                "ON CONFLICT (node_id) DO NOTHING"
            )
        if kind in ("beats", "beats_once"):
            values = ", ".join([self._row(9)] * rows)
            sql = f"INSERT INTO beats ({self.BEAT_COLS}) VALUES {values}"
            if kind == "beats_once":  # a beat id already stored is skipped, and not returned
                sql += " ON CONFLICT (node_id, beat_id) DO NOTHING RETURNING node_id, beat_id"
            return sql
        values = ", ".join([self._row(12, self.UPDATE_TYPES)] * rows)
        return (
            "WITH b(node_id, ts, name, payload, status, version, interval, cpu, mem_pct, "
            f"mem_mb, cpu_high, mem_high) AS (VALUES {values}) "
            f"UPDATE nodes SET {self.UPDATE_SET} FROM b WHERE nodes.node_id = b.node_id"
        )

    def insert_nodes(self, rows: int) -> str:
        return self._get("nodes", rows)

    def insert_beats(self, rows: int) -> str:
        return self._get("beats", rows)

    def insert_beats_once(self, rows: int) -> str:
        return self._get("beats_once", rows)

    def update_nodes(self, rows: int) -> str:
        return self._get("update", rows)


def _repeats(batch: list[BeatRecord]) -> list[bool]:
    """For each beat: True when an earlier beat of the batch has its node and beat id."""
    seen: set[tuple[str, str]] = set()
    flags = []
    for r in batch:
        key = (r.node_id, r.beat_id) if r.beat_id is not None else None
        flags.append(key in seen)
        if key is not None:
            seen.add(key)
    return flags


def _update_rounds(batch: list[BeatRecord]) -> list[list[tuple[Any, ...]]]:
    return [[r.node_update_row() for r in round_] for round_ in _rounds(batch)]


def _rounds(batch: list[BeatRecord]) -> list[list[BeatRecord]]:
    """Split beats so no node appears twice in a round; rounds keep arrival order."""
    rounds: list[list[BeatRecord]] = []
    seen: dict[str, int] = {}
    for r in batch:
        n = seen.get(r.node_id, 0)
        seen[r.node_id] = n + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(r)
    return rounds


class Store:
    """Nodes, beats, state events and alerts in one SQL database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        database = engine.url.database if self.dialect == "sqlite" else None
        self._lock: WriteLock | None = None
        if self.dialect == "sqlite":
            on_disk = database not in (None, "", ":memory:")
            self._lock = WriteLock(f"{database}.writelock" if on_disk else None)
        self._insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        self._beat_sql = BeatSql(self.dialect)
        self.fault = FaultLatch(log, "writing to the database")

    @classmethod
    def from_url(cls, url: str, sqlite_synchronous: str = "FULL") -> Store:
        store = cls(make_engine(url, sqlite_synchronous))
        store.create_schema()
        return store

    def create_schema(self) -> None:
        """Create the tables, and add what later versions added to an older database."""
        metadata.create_all(self.engine)
        self._migrate()

    def _migrate(self) -> None:
        with self._write() as conn:
            for table, column, sql_type in MIGRATIONS:
                have = {c["name"] for c in inspect(conn).get_columns(table)}
                if column not in have:
                    exists = " IF NOT EXISTS" if self.dialect == "postgresql" else ""
                    conn.exec_driver_sql(
                        f"ALTER TABLE {table} ADD COLUMN{exists} {column} {sql_type}"
                    )
                    log.info("database upgraded: added %s.%s", table, column)
            for index in MIGRATED_INDEXES:
                conn.execute(CreateIndex(index, if_not_exists=True))

    def close(self) -> None:
        self.engine.dispose()
        if self._lock is not None:
            self._lock.close()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction (behind the SQLite write lock where there is one).

        A database that cannot be written is logged once (with the driver's words) until a
        write succeeds again.
        """
        try:
            with translated("written"), self._begin() as conn:
                yield conn
        except StoreUnavailable as exc:
            self.fault.fault(exc.detail or str(exc))
            raise
        self.fault.clear()

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        if self._lock is None:
            with self.engine.begin() as conn:
                yield conn
            return
        with self._lock.held(), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with translated("read"), self.engine.connect() as conn:
            yield conn

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
        with self._write() as conn:
            created = self._insert_node(conn, node_id, node_name, node_type, now)
            if register_time is not None or not created:
                conn.execute(
                    update(nodes)
                    .where(nodes.c.node_id == node_id)
                    .values(
                        node_name=node_name,
                        node_type=node_type,
                        register_time=finite(register_time),
                    )
                )
            row = conn.execute(select(nodes).where(nodes.c.node_id == node_id)).mappings().one()
        return dict(row), created

    def _insert_node(
        self, conn: Connection, node_id: str, name: str, node_type: str, now: float
    ) -> bool:
        stmt = (
            self._insert(nodes)
            .values(new_node_row(node_id, name, node_type, now))
            .on_conflict_do_nothing(index_elements=["node_id"])
            .returning(nodes.c.node_id)
        )
        return conn.execute(stmt).scalar() is not None

    def write_beats(self, batch: list[BeatRecord], known: set[str] | None = None) -> list[bool]:
        """Store a group of beats in one transaction (a group commit).

        Three multi-row statements whatever the group's size: nodes not yet known are
        registered, the beats inserted, and each node's row updated from its beat (a node
        that beat twice in one group is updated again in a second round, in order).
        ``known`` caches ids already in the database; it only saves work.

        A beat whose ``beat_id`` its node already used (here or in an earlier group) is a
        retry: it is not stored again and changes nothing. Returns, for each beat in order,
        whether it was such a duplicate.

        This is the hot path, so its SQL is written once per dialect and row count (see
        :class:`BeatSql`) rather than compiled by SQLAlchemy for each group.
        """
        if not batch:
            return []
        repeated = _repeats(batch)
        todo = [r for r, again in zip(batch, repeated, strict=True) if not again]
        sql = self._beat_sql
        fresh: dict[str, tuple[Any, ...]] = {}
        for r in todo:
            if (known is None or r.node_id not in known) and r.node_id not in fresh:
                row = new_node_row(
                    r.node_id, r.node_name or r.node_id, r.node_type or "unknown", r.received_at
                )
                fresh[r.node_id] = tuple(row.values())  # in NEW_NODE_COLUMNS' order
        beat_rows = [r.beat_row() for r in todo]
        update_rounds = _update_rounds(todo)
        with self._write() as conn:  # only the statements run under the write lock
            for chunk in _chunks(list(fresh.values()), 200):
                conn.exec_driver_sql(sql.insert_nodes(len(chunk)), _flat(chunk))
            stored = self._insert_beats(conn, todo, beat_rows)
            if not all(stored):
                update_rounds = _update_rounds(
                    [r for r, ok in zip(todo, stored, strict=True) if ok]
                )
            for updates in update_rounds:
                for chunk in _chunks(updates, 200):
                    conn.exec_driver_sql(sql.update_nodes(len(chunk)), _flat(chunk))
        if known is not None:
            known.update(fresh)
        fresh_flags = iter(stored)  # one flag per beat of ``todo``, in order
        return [True if again else not next(fresh_flags) for again in repeated]

    def _insert_beats(
        self, conn: Connection, records: list[BeatRecord], rows: list[tuple[Any, ...]]
    ) -> list[bool]:
        """Insert the beats; for each, whether it was new (False: its beat id was stored)."""
        sql = self._beat_sql
        stored = [True] * len(records)
        for start in range(0, len(records), 200):
            chunk = records[start : start + 200]
            values = _flat(rows[start : start + 200])
            if all(r.beat_id is None for r in chunk):
                conn.exec_driver_sql(sql.insert_beats(len(chunk)), values)
                continue
            result = conn.exec_driver_sql(sql.insert_beats_once(len(chunk)), values)
            new = {(node_id, beat_id) for node_id, beat_id in result}
            for i, r in enumerate(chunk, start):
                if r.beat_id is not None and (r.node_id, r.beat_id) not in new:
                    stored[i] = False
        return stored

    def known_node_ids(self) -> set[str]:
        with self._read() as conn:
            return set(conn.execute(select(nodes.c.node_id)).scalars())

    def get_node(self, node_id: str) -> dict[str, Any] | None:
        with self._read() as conn:
            row = conn.execute(select(nodes).where(nodes.c.node_id == node_id)).mappings().first()
        return dict(row) if row else None

    def list_nodes(self, with_payload: bool = True) -> list[dict[str, Any]]:
        cols = [c for c in nodes.c if with_payload or c.name != "last_payload"]
        with self._read() as conn:
            rows = conn.execute(select(*cols).order_by(nodes.c.node_id)).mappings().all()
        return [dict(r) for r in rows]

    def set_paused(self, node_id: str, paused: bool, reason: str | None) -> bool:
        with self._write() as conn:
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
        with self._write() as conn:
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

    def transition_states(self, changes: list[tuple[str, str, str, str]], now: float) -> int:
        """Apply (node_id, old, new, reason) moves and record their events, in one transaction.

        Each move is conditional on the node still being in ``old``, so when two monitors
        evaluate at once each change is recorded once. Returns how many were applied.
        """
        if not changes:
            return 0
        applied = 0
        with self._write() as conn:
            for node_id, old, new, reason in changes:
                res = conn.execute(
                    update(nodes)
                    .where(and_(nodes.c.node_id == node_id, nodes.c.state == old))
                    .values(state=new, state_since=now)
                )
                if res.rowcount != 1:
                    continue
                conn.execute(
                    insert(state_events).values(
                        node_id=node_id, from_state=old, to_state=new, at=now, reason=reason
                    )
                )
                applied += 1
        return applied

    def state_events(self, node_id: str, limit: int = 50) -> list[dict[str, Any]]:
        with self._read() as conn:
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
        """The node's most recent beats, oldest first, each with its payload (JSON text)."""
        query = select(
            beats.c.id,
            beats.c.received_at,
            beats.c.sent_at,
            beats.c.status,
            beats.c.cpu_percent,
            beats.c.memory_percent,
            beats.c.memory_mb,
            beats.c.payload,
        ).where(beats.c.node_id == node_id)
        if since is not None:
            query = query.where(beats.c.received_at > since)
        query = query.order_by(beats.c.id.desc()).limit(limit)
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        return [dict(r) for r in reversed(rows)]

    def count_beats(self, node_id: str | None = None) -> int:
        query = select(func.count()).select_from(beats)
        if node_id is not None:
            query = query.where(beats.c.node_id == node_id)
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def prune(self, older_than: float, max_per_node: int) -> int:
        """Drop beats past the retention age, and past the per-node count."""
        with self._write() as conn:
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
        self, node_id: str, cause: str, severity: str, message: Message | str, now: float
    ) -> int | None:
        """Open an alert unless one is open for this node and cause; returns the new id.

        One atomic conditional insert: the partial unique index decides, so concurrent
        evaluators (threads or monitor instances) open it once.
        """
        stmt = (
            self._insert(alerts)
            .values(
                node_id=node_id,
                cause=cause,
                severity=severity,
                opened_at=now,
                **_message_columns(message),
            )
            .on_conflict_do_nothing(
                index_elements=["node_id", "cause"], index_where=alerts.c.resolved_at.is_(None)
            )
            .returning(alerts.c.id)
        )
        with self._write() as conn:
            return conn.execute(stmt).scalar()

    def open_alerts(self) -> list[dict[str, Any]]:
        with self._read() as conn:
            rows = (
                conn.execute(
                    select(alerts).where(alerts.c.resolved_at.is_(None)).order_by(alerts.c.id)
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    def set_alert_clear_since(
        self, alert_id: int, value: float | None, message: Message | str | None
    ) -> None:
        values: dict[str, Any] = {"clear_since": value}
        if message is not None:
            values.update(_message_columns(message))
        with self._write() as conn:
            conn.execute(
                update(alerts)
                .where(and_(alerts.c.id == alert_id, alerts.c.resolved_at.is_(None)))
                .values(**values)
            )

    def resolve_alert(self, alert_id: int, now: float) -> bool:
        with self._write() as conn:
            res = conn.execute(
                update(alerts)
                .where(and_(alerts.c.id == alert_id, alerts.c.resolved_at.is_(None)))
                .values(resolved_at=now)
            )
        return res.rowcount == 1

    def get_alert(self, alert_id: int) -> dict[str, Any] | None:
        if not 0 < alert_id <= ID_MAX:
            return None
        with self._read() as conn:
            row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).mappings().first()
        return dict(row) if row else None

    def acknowledge(
        self, alert_id: int, by: str, reason: str | None, until: float | None, now: float
    ) -> dict[str, Any] | None:
        """Record who acknowledged, why and until when; a repeat changes nothing."""
        if not 0 < alert_id <= ID_MAX:
            return None
        until = finite(until)
        with self._write() as conn:
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
        with self._read() as conn:
            return [dict(r) for r in conn.execute(query).mappings().all()]

    def count_open_alerts(self) -> int:
        with self._read() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(alerts).where(alerts.c.resolved_at.is_(None))
                ).scalar_one()
            )
