"""The worker processes that render file jobs, off the live path.

Each worker is a process of its own (multiprocessing's *spawn* context: a fresh interpreter,
nothing of the backend's threads, sockets or camera inherited), at a lower OS priority
(``os.nice(jobs.nice)``), so a job takes the cores the live path leaves. It runs one job at a
time and never touches the job list: the backend's :class:`~ar_backend.jobs.queue.JobQueue`
hands it a task over a pipe and writes what it reports to the store.

Messages, both ways over one duplex pipe:

- to the worker: ``("job", job_id, JobSpec, FaceConfig)``, or ``None`` to end;
- from the worker: ``("progress", job_id, Progress.as_dict())`` (at most every
  :data:`PROGRESS_EVERY` s), then one of ``("done", job_id, JobResult.as_dict())``,
  ``("failed", job_id, reason)``, ``("cancelled", job_id, reason)``.

Cancelling is a shared flag (a byte of shared memory, no lock: a worker killed while reading
it cannot leave a lock held) that the job's ``cancelled()`` reads before every frame; the
parent clears it before each new task. The worker also stops its job
when the backend is gone (its parent pid changed: a kill -9 leaves no one to report to), and
ends when the pipe closes.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import time
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnContext, SpawnProcess
from typing import Any, Protocol

from ar_backend.config import FaceConfig
from ar_backend.jobs.spec import JobSpec

log = logging.getLogger(__name__)

PROGRESS_EVERY = 0.25  # seconds between progress messages from a worker


class Flag(Protocol):
    """A shared ``ctypes.c_bool`` (``SpawnContext.RawValue``)."""

    value: bool


def main(conn: Connection, cancel: Flag, nice: int, parent_pid: int, level: str) -> None:
    """A worker process's life: take tasks from ``conn`` until ``None`` or the pipe ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the backend; it stops us
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s [job-worker %(process)d] %(name)s: %(message)s",
    )
    if nice > 0:
        try:
            os.nice(nice)
        except (OSError, AttributeError) as exc:  # (no os.nice on Windows)
            log.warning("job worker priority not lowered: %s", exc)
    engines: dict[str, Any] = {}  # each engine loaded once per worker, reused job to job

    def parent_gone() -> bool:
        return os.getppid() != parent_pid

    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return  # the backend is gone
        if task is None:
            return
        try:
            _run(conn, task, cancel, parent_gone, engines)
        except (BrokenPipeError, EOFError, OSError):
            return  # nobody to report to


def _run(
    conn: Connection,
    task: tuple[Any, ...],
    cancel: Flag,
    parent_gone: Any,
    engines: dict[str, Any],
) -> None:
    from ar_backend.face.engines import create_engine
    from ar_backend.face.errors import FaceError
    from ar_backend.jobs.render import run_job
    from ar_backend.jobs.spec import JobCancelled, JobFailed, Progress
    from shared.registry import UnknownName

    _, job_id, spec, face_cfg = task
    last = 0.0

    def on_progress(progress: Progress) -> None:
        nonlocal last
        now = time.monotonic()
        final = progress.frames_total is not None and progress.frames_done >= progress.frames_total
        if now - last >= PROGRESS_EVERY or final:
            last = now
            conn.send(("progress", job_id, progress.as_dict()))

    def cancelled() -> bool:
        return bool(cancel.value) or parent_gone()

    log.info("job %s: %s -> %s", job_id, spec.input_path.name, spec.output_path.name)
    try:
        engine = engines.get(spec.engine)
        if engine is None:
            try:
                engine = engines[spec.engine] = create_engine(spec.engine, face_cfg)
            except (FaceError, UnknownName) as exc:  # EngineUnavailable says why
                raise JobFailed(str(exc).strip("'\"")) from None
        result = run_job(spec, face_cfg, on_progress, cancelled, engine)
    except JobCancelled as exc:
        conn.send(("cancelled", job_id, exc.reason))
    except JobFailed as exc:
        log.info("job %s failed: %s", job_id, exc.reason)
        conn.send(("failed", job_id, exc.reason))
    except Exception as exc:  # a fault in the job must not end the worker
        log.exception("job %s failed", job_id)
        conn.send(("failed", job_id, f"{exc.__class__.__name__}: {exc}"))
    else:
        conn.send(("done", job_id, result.as_dict()))


class WorkerProcess:
    """The backend's handle on one worker process: its pipe, its cancel flag, its job."""

    def __init__(self, ctx: SpawnContext, index: int, nice: int, level: str) -> None:
        self.index = index
        self.cancel: Flag = ctx.RawValue(ctypes.c_bool, False)
        self.conn, child = ctx.Pipe(duplex=True)
        self.process: SpawnProcess = ctx.Process(
            target=main,
            args=(child, self.cancel, nice, os.getpid(), level),
            name=f"job-worker-{index}",
            daemon=True,
        )
        self.process.start()
        child.close()  # the worker's end lives in the worker only: its exit is our EOF
        self.job_id: str | None = None  # the job it runs
        self.cancel_deadline: float | None = None  # killed if still running then
        self.cancel_reason: str | None = None  # why it was asked to stop
        log.info("job worker %d started (pid %s)", index, self.process.pid)

    @property
    def pid(self) -> int | None:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def give(self, job_id: str, spec: JobSpec, face_cfg: FaceConfig) -> None:
        self.cancel.value = False
        self.cancel_deadline = None
        self.cancel_reason = None
        self.job_id = job_id
        self.conn.send(("job", job_id, spec, face_cfg))

    def ask_to_stop(self, reason: str, grace: float) -> None:
        """Set the job's cancel flag; after ``grace`` s the process is killed instead."""
        self.cancel_reason = reason
        self.cancel.value = True
        deadline = time.monotonic() + grace
        if self.cancel_deadline is None or deadline < self.cancel_deadline:
            self.cancel_deadline = deadline

    def exit_reason(self) -> str:
        code = self.process.exitcode
        if code is None:
            return "the worker process stopped answering"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"the worker process was killed ({name})"
        return f"the worker process exited with status {code}"

    def close(self, timeout: float) -> None:
        """End the process: ask, wait up to ``timeout`` s, then kill."""
        try:
            if self.alive:
                self.conn.send(None)
        except OSError:
            pass
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2)
        self.conn.close()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(2)
