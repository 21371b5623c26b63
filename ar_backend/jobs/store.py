"""The job list: a SQLite file (``jobs.sqlite`` in the backend's data folder) through
SQLAlchemy Core, as the monitor keeps its store.

One row per job; its state moves ``queued -> running -> done | failed | cancelled``, and a
job left ``running`` by a process that stopped without finishing it (a crash, a kill -9, a
close) is ``interrupted``. ``failed``, ``cancelled`` and ``interrupted`` jobs can be queued
again (retry: the same id, progress reset). Every method is one transaction, and every state
change is a conditional ``UPDATE ... WHERE state IN (...)``, so two threads asking for
opposite changes cannot both win: the one that loses sees ``None`` and says why.

Times are epoch seconds (float); the API shows them as ISO-8601. Only the backend process
writes here (the worker processes report through a pipe), so the store needs no lock
between processes; SQLite's own (WAL, a busy timeout) covers the threads.
"""

from __future__ import annotations

import json
import logging
import math
import secrets
import time
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Engine, RowMapping

log = logging.getLogger(__name__)

DB_FILE = "jobs.sqlite"

QUEUED, RUNNING, DONE, FAILED, CANCELLED, INTERRUPTED = (
    "queued",
    "running",
    "done",
    "failed",
    "cancelled",
    "interrupted",
)
STATES = (QUEUED, RUNNING, DONE, FAILED, CANCELLED, INTERRUPTED)
FINISHED = (DONE, FAILED, CANCELLED, INTERRUPTED)
RETRYABLE = (FAILED, CANCELLED, INTERRUPTED)
ID_HEX = 12  # characters of a job id (6 random bytes)

metadata = MetaData()

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("kind", String(8), nullable=False),  # video, image
    Column("input", Text, nullable=False),  # the input's file name
    Column("input_path", Text, nullable=False),  # absolute, inside a media folder
    Column("face_kind", String(8), nullable=False),  # loaded, file
    Column("face_name", Text, nullable=False),
    Column("face_index", Integer),
    Column("face_path", Text, nullable=False),  # the picture, kept in the data folder
    Column("engine", String(64), nullable=False),
    Column("options", Text, nullable=False),  # FaceOptions as JSON
    Column("quality", Integer, nullable=False),
    Column("output", Text, nullable=False),  # the output's file name
    Column("output_path", Text, nullable=False),  # absolute, inside jobs.outputs_dir
    Column("created_at", Float, nullable=False),
    Column("queued_at", Float, nullable=False),  # FIFO order (a retry queues at the end)
    Column("started_at", Float),
    Column("finished_at", Float),
    Column("error", Text),
    Column("frames_done", Integer, nullable=False, default=0),
    Column("frames_total", Integer),
    Column("fps", Float),
    Column("eta_s", Float),
    Column("frames_swapped", Integer, nullable=False, default=0),
    Column("frames_guarded", Integer, nullable=False, default=0),  # a face blurred, not swapped
    Column("frames_faceless", Integer, nullable=False, default=0),
    Column("audio", String(64)),
    Column("attempts", Integer, nullable=False, default=0),  # times it was started
    Column("background", Text),  # {mode, blur, color, image, path} as JSON; null: off
    Index("ix_jobs_state_queued_at", "state", "queued_at"),
    Index("ix_jobs_created_at", "created_at"),
)

PROGRESS_RESET = {
    "started_at": None,
    "finished_at": None,
    "error": None,
    "frames_done": 0,
    "frames_total": None,
    "fps": None,
    "eta_s": None,
    "frames_swapped": 0,
    "frames_guarded": 0,
    "frames_faceless": 0,
    "audio": None,
}
# columns later versions added: (name, SQL), added to an older jobs.sqlite when it opens
ADDED_COLUMNS = (
    ("frames_guarded", "INTEGER NOT NULL DEFAULT 0"),
    ("frames_faceless", "INTEGER NOT NULL DEFAULT 0"),
    ("background", "TEXT"),
)


def new_id() -> str:
    return secrets.token_hex(ID_HEX // 2)


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _count(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return max(0, min(number, 2**62))


def progress_values(progress: dict[str, Any]) -> dict[str, Any]:
    """The progress columns from a worker's report (``Progress.as_dict()``), each checked:
    a count is a whole number >= 0, a rate finite, anything else left out."""
    values: dict[str, Any] = {}
    for key in ("frames_done", "frames_swapped", "frames_guarded", "frames_faceless"):
        if key in progress and (count := _count(progress[key])) is not None:
            values[key] = count
    if "frames_total" in progress:
        values["frames_total"] = _count(progress["frames_total"])
    for key in ("fps", "eta_s"):
        if key in progress:
            values[key] = _finite(progress[key])
    return values


class JobStore:
    """The job rows. Thread-safe: each method is its own transaction."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / DB_FILE
        self.engine: Engine = create_engine(
            f"sqlite:///{self.path}",
            connect_args={"timeout": 30, "check_same_thread": False},
        )

        @event.listens_for(self.engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        metadata.create_all(self.engine)
        with self.engine.begin() as conn:  # what later versions added, to an older file
            have = {c["name"] for c in inspect(conn).get_columns("jobs")}
            for column, sql in ADDED_COLUMNS:
                if column not in have:
                    conn.exec_driver_sql(f"ALTER TABLE jobs ADD COLUMN {column} {sql}")
                    log.info("job list upgraded: added the column %s", column)

    def close(self) -> None:
        self.engine.dispose()

    # ---- reads -----------------------------------------------------------------------------

    def get(self, job_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()
        return _row(row) if row is not None else None

    def recent(self, limit: int = 200, state: str | None = None) -> list[dict[str, Any]]:
        """Newest first."""
        query = select(jobs).order_by(jobs.c.created_at.desc(), jobs.c.id).limit(limit)
        if state is not None:
            query = query.where(jobs.c.state == state)
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(query).mappings()]

    def counts(self) -> dict[str, int]:
        """Jobs per state, every state named (0 when none)."""
        query = select(jobs.c.state, func.count()).group_by(jobs.c.state)
        with self.engine.connect() as conn:
            found = {state: int(n) for state, n in conn.execute(query)}
        return {state: found.get(state, 0) for state in STATES}

    def next_queued(self) -> dict[str, Any] | None:
        """The job queued longest (first in, first out)."""
        query = (
            select(jobs)
            .where(jobs.c.state == QUEUED)
            .order_by(jobs.c.queued_at, jobs.c.created_at, jobs.c.id)
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _row(row) if row is not None else None

    def names_taken(self) -> set[str]:
        """The output names the jobs on the list hold."""
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(select(jobs.c.output))}

    def faces_in_use(self) -> set[str]:
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(select(jobs.c.face_path))}

    # ---- writes ----------------------------------------------------------------------------

    def add(self, values: dict[str, Any], max_queued: int | None = None) -> dict[str, Any] | None:
        """A new queued job; None when ``max_queued`` jobs are queued already (checked in
        the same transaction)."""
        now = time.time()
        row = {
            **PROGRESS_RESET,
            **values,
            "state": QUEUED,
            "created_at": now,
            "queued_at": now,
            "attempts": 0,
        }
        row["options"] = json.dumps(row["options"], separators=(",", ":"))
        if row.get("background") is not None:
            row["background"] = json.dumps(row["background"], separators=(",", ":"))
        with self.engine.begin() as conn:
            if max_queued is not None:
                queued = conn.execute(
                    select(func.count()).select_from(jobs).where(jobs.c.state == QUEUED)
                ).scalar_one()
                if queued >= max_queued:
                    return None
            conn.execute(insert(jobs).values(**row))
        return self.get(row["id"])

    def _change(self, job_id: str, from_states: tuple[str, ...], **values: Any) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.state.in_(from_states))
                .values(**values)
            )
        return done.rowcount == 1

    def claim(self, job_id: str) -> bool:
        """queued -> running (the job handed to a worker)."""
        return self._change(
            job_id,
            (QUEUED,),
            **{**PROGRESS_RESET, "state": RUNNING, "started_at": time.time()},
            attempts=jobs.c.attempts + 1,
        )

    def progress(self, job_id: str, progress: dict[str, Any]) -> bool:
        values = progress_values(progress)
        return bool(values) and self._change(job_id, (RUNNING,), **values)

    def finish(
        self,
        job_id: str,
        state: str,
        *,
        error: str | None = None,
        audio: str | None = None,
        progress: dict[str, Any] | None = None,
    ) -> bool:
        """running -> ``state`` (done, failed, cancelled or interrupted)."""
        assert state in FINISHED
        values = progress_values(progress or {})
        if state != DONE:
            values["eta_s"] = None
        return self._change(
            job_id,
            (RUNNING,),
            state=state,
            finished_at=time.time(),
            error=None if error is None else error[:2000],
            audio=audio,
            **values,
        )

    def cancel_queued(self, job_id: str) -> bool:
        """queued -> cancelled, at once (it never ran)."""
        return self._change(job_id, (QUEUED,), state=CANCELLED, finished_at=time.time(), error=None)

    def retry(self, job_id: str, max_queued: int | None = None) -> bool | None:
        """failed, cancelled or interrupted -> queued (at the end of the queue), its
        progress reset. False when the job is in another state; None when the queue is
        full."""
        with self.engine.begin() as conn:
            if max_queued is not None:
                queued = conn.execute(
                    select(func.count()).select_from(jobs).where(jobs.c.state == QUEUED)
                ).scalar_one()
                if queued >= max_queued:
                    return None
            done = conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.state.in_(RETRYABLE))
                .values(**PROGRESS_RESET, state=QUEUED, queued_at=time.time())
            )
        return done.rowcount == 1

    def delete(self, job_id: str) -> bool:
        """Remove a job that is not running."""
        with self.engine.begin() as conn:
            done = conn.execute(delete(jobs).where(jobs.c.id == job_id, jobs.c.state != RUNNING))
        return done.rowcount == 1

    def finished_past(self, before: float | None, keep: int | None) -> list[dict[str, Any]]:
        """Finished jobs past the history limits: finished before ``before``, or beyond the
        ``keep`` newest finished ones."""
        query = (
            select(jobs)
            .where(jobs.c.state.in_(FINISHED))
            .order_by(jobs.c.finished_at.desc(), jobs.c.created_at.desc(), jobs.c.id)
        )
        with self.engine.connect() as conn:
            rows = [_row(r) for r in conn.execute(query).mappings()]
        return [
            row
            for rank, row in enumerate(rows)
            if (keep is not None and rank >= keep)
            or (before is not None and (row["finished_at"] or row["created_at"]) < before)
        ]

    def delete_finished(self, job_ids: list[str]) -> int:
        """Remove these jobs where they are still finished (one retried meanwhile stays)."""
        if not job_ids:
            return 0
        with self.engine.begin() as conn:
            done = conn.execute(
                delete(jobs).where(jobs.c.id.in_(job_ids), jobs.c.state.in_(FINISHED))
            )
        return int(done.rowcount)

    def interrupt_running(self, reason: str) -> list[dict[str, Any]]:
        """At start: every job left ``running`` (its process stopped without finishing it)
        becomes ``interrupted``; answered as they were, so their temporary files can go."""
        with self.engine.begin() as conn:
            rows = [
                _row(r)
                for r in conn.execute(select(jobs).where(jobs.c.state == RUNNING)).mappings()
            ]
            if rows:
                conn.execute(
                    update(jobs)
                    .where(jobs.c.state == RUNNING)
                    .values(state=INTERRUPTED, finished_at=time.time(), error=reason, eta_s=None)
                )
        return rows


def _row(row: RowMapping) -> dict[str, Any]:
    data = dict(row)
    for key in ("options", "background"):
        try:
            data[key] = json.loads(data[key] or "{}")
        except ValueError:
            data[key] = {}
    return data
