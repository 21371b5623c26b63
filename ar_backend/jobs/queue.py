"""The job queue the studio owns: the job list (:mod:`ar_backend.jobs.store`), the worker
processes (:mod:`ar_backend.jobs.worker`) and the thread between them.

The thread (``jobs``) loops until the studio closes: it hands the job queued longest to a
free worker (starting one when fewer than ``jobs.workers`` run; the first starts with the
first job, so a backend that never renders starts none), reads what the workers report and
writes it to the store (progress at most :data:`PROGRESS_WRITE_EVERY` s apart), and notices
a worker that died: its job fails with the reason (``the worker process was killed
(SIGKILL)``) and the next job gets a new worker.

Cancel sets the running job's flag, which the job reads before every frame; a worker that
has not stopped :data:`CANCEL_GRACE` s later is killed. Either way the job ends
``cancelled`` with no output (the job's temporary file is removed). When the studio closes,
running jobs are stopped the same way and end ``interrupted``, so they can be retried; a job
left ``running`` by a backend that was killed becomes ``interrupted`` at the next start.

No Flask here: the API turns :class:`JobError` into the HTTP answer.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import multiprocessing
import os
import re
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.exc import SQLAlchemyError

from ar_backend.config import (
    DEFAULT_MAX_MEGAPIXELS,
    BackgroundConfig,
    FaceConfig,
    FaceOptions,
    JobsConfig,
)
from ar_backend.face.imaging.pixel_limit import (
    PixelLimit,
    SizeUnreadable,
    TooManyPixels,
    check_picture,
    check_video,
)
from ar_backend.jobs import store as st
from ar_backend.jobs.spec import JobFailed, JobSpec, guarded_notice, media_kind
from ar_backend.jobs.store import JobStore
from ar_backend.jobs.worker import WorkerProcess
from shared.logs import FaultLatch
from shared.messages import KeyedError, Message, text_fields
from shared.paths import inside
from shared.timeutil import iso
from shared.wire.backend import (
    JobCounts,
    JobDeleteOut,
    JobFace,
    JobListOut,
    JobOut,
    JobProgress,
    JobsCurrent,
    JobsSummary,
)

log = logging.getLogger(__name__)

CANCEL_GRACE = 1.0  # seconds a worker has to stop a cancelled job before it is killed
CANCEL_WAIT = 2.5  # seconds POST /jobs/<id>/cancel waits for a running job to stop
CLOSE_GRACE = 3.0  # seconds running jobs have to stop when the studio closes
PROGRESS_WRITE_EVERY = 0.3  # seconds between progress writes of one job
POLL = 0.1  # seconds the thread waits for a message before it looks at the queue again
TRIM_EVERY = 600.0  # seconds between trims of the job history (jobs.keep_days, keep_finished)
FACES_FOLDER = "job-faces"
OUTPUT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
JOB_ID = re.compile(rf"^[0-9a-f]{{{st.ID_HEX}}}$")
INTERRUPTED_REASON = "the backend stopped while the job ran; retry it"
MIMETYPES = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}


class JobError(KeyedError):
    """A job request refused: ``status`` is the HTTP status, ``field`` the input at fault."""

    def __init__(self, status: int, message: Message | str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


@dataclass(frozen=True)
class FacePicture:
    """The face a job swaps in: ``kind`` ``loaded`` (the live swap's) or ``file``, the
    picture's bytes, its name, and which face of it (0 the leftmost; None: the only one)."""

    kind: str
    name: str
    data: bytes
    face_index: int | None


def plain_name(text: str, field: str) -> str:
    """A file name alone (no folder, no scheme, not hidden): 400 naming ``field`` else."""
    if (
        not text
        or len(text) > 255
        or text in (".", "..")
        or text.startswith(".")
        or any(c in text for c in "/\\:")
        or any(ord(c) < 32 or ord(c) == 127 for c in text)
        or text != text.strip()
    ):
        raise JobError(
            400,
            f"{field} must be a plain file name in the folder (no path, no scheme): {text[:80]!r}",
            field,
        )
    return text


def find_file(name: str, folders: list[Path], field: str) -> Path:
    """The file ``name`` in the first of ``folders`` that has it; 403 when it resolves
    (through a link) outside them, 404 when none has it."""
    plain_name(name, field)
    for folder in folders:
        candidate = folder / name
        try:
            resolved = candidate.resolve()
        except (OSError, RuntimeError, ValueError) as exc:
            raise JobError(400, f"{field}: {name!r} cannot be resolved ({exc})", field) from None
        if not any(inside(resolved, f) for f in folders):
            raise JobError(403, f"{field}: {name!r} leads outside the allowed folders", field)
        if resolved.is_file():
            return resolved
    where = ", ".join(str(f) for f in folders)
    raise JobError(404, f"{field}: no file {name!r} in {where}", field)


def input_kind(path: Path) -> str:
    try:
        return media_kind(path)
    except JobFailed as exc:
        raise JobError(415, f"input: {exc.reason}", "input") from None


def output_suffix_ok(kind: str, input_path: Path, suffix: str) -> bool:
    """A video is written as MP4; a picture in its own format (.jpg and .jpeg alike)."""
    suffix = suffix.lower()
    if kind == "video":
        return suffix == ".mp4"
    same = {".jpg", ".jpeg"} if input_path.suffix.lower() in (".jpg", ".jpeg") else set()
    return suffix in (same or {input_path.suffix.lower()})


def _sanitised_stem(stem: str) -> str:
    text = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._-")
    return text[:80] or "job"


def remove_partials(output_path: Path) -> int:
    """Remove a job's temporary output files (``.<name>.<random>.part`` beside the output,
    as :func:`ar_backend.jobs.render.run_job` writes them); how many went."""
    removed = 0
    with contextlib.suppress(OSError):
        for path in output_path.parent.glob(f".{glob_escape(output_path.name)}.*.part"):
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
    return removed


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


class JobQueue:
    """Jobs, their workers and the thread between them; the studio starts and closes it."""

    def __init__(
        self,
        cfg: JobsConfig,
        face_cfg: FaceConfig,
        data_dir: Path,
        outputs_dir: Path,
        log_level: str = "INFO",
        pixel_limit: PixelLimit | None = None,
    ) -> None:
        self.cfg = cfg
        self.face_cfg = face_cfg
        self.pixel_limit = pixel_limit or PixelLimit(DEFAULT_MAX_MEGAPIXELS)
        self.data_dir = data_dir
        self.outputs_dir = outputs_dir
        self.faces_dir = data_dir / FACES_FOLDER
        self.log_level = log_level
        self.unavailable: str | None = None  # why the job list cannot be opened
        self._store: JobStore | None = None
        try:
            self._store = JobStore(data_dir)
        except (OSError, SQLAlchemyError) as exc:  # the live path runs on without jobs
            self.unavailable = f"the job list cannot be opened in {data_dir}: {exc}"
            log.warning("file jobs unavailable: %s", self.unavailable)
        self._ctx = multiprocessing.get_context("spawn")
        self._workers: list[WorkerProcess] = []
        self._next_index = 0
        self._lock = threading.RLock()  # workers, their jobs, the live progress
        self._changed = threading.Condition(self._lock)  # a running job ended
        self._submit = threading.Lock()  # choosing an output name and taking it is one step
        self._pending = threading.Event()  # look at the queue
        self._stop = threading.Event()
        self._closing = False
        self._live: dict[str, dict[str, Any]] = {}  # running jobs' newest progress
        self._written: dict[str, float] = {}  # when each job's progress was last written
        self._thread: threading.Thread | None = None
        self._fault = FaultLatch(log, "job queue")
        self._trimmed_at = 0.0  # when the history was last trimmed

    @property
    def store(self) -> JobStore:
        """The job list; 503 when it could not be opened (the data folder not writable)."""
        if self._store is None:
            raise JobError(503, self.unavailable or "the job list is closed")
        return self._store

    # ---- start and stop --------------------------------------------------------------------

    def start(self) -> None:
        """Jobs left ``running`` by a backend that stopped without finishing them become
        ``interrupted`` (their temporary files removed); then the thread starts."""
        if self._store is None:
            return
        for row in self.store.interrupt_running(INTERRUPTED_REASON):
            remove_partials(Path(row["output_path"]))
            log.warning("job %s was interrupted by a restart; retry it to run it", row["id"])
        self.trim_history()
        self._pending.set()
        self._thread = threading.Thread(target=self._loop, name="jobs", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the running jobs (they end ``interrupted``), then the workers and the
        thread."""
        if self._store is None:
            return
        with self._lock:
            self._closing = True
            busy = [w for w in self._workers if w.job_id is not None]
            for worker in busy:
                worker.ask_to_stop("interrupted", CLOSE_GRACE)
            deadline = time.monotonic() + CLOSE_GRACE + 1.0
            while (
                self._thread is not None
                and self._thread.is_alive()
                and any(w.job_id is not None for w in self._workers)
                and time.monotonic() < deadline
            ):
                self._changed.wait(0.1)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        with self._lock:
            workers, self._workers = self._workers, []
        for worker in workers:
            if worker.job_id is not None:  # (the thread was gone)
                worker.kill()
                self._end_job(worker.job_id, st.INTERRUPTED, INTERRUPTED_REASON)
            worker.close(timeout=2.0)
        for row in self.store.interrupt_running(INTERRUPTED_REASON):
            remove_partials(Path(row["output_path"]))
        self.store.close()
        self._store = None
        self.unavailable = "the backend is stopping"

    # ---- the API's side --------------------------------------------------------------------

    def check_room(self) -> None:
        """429 naming ``input`` when ``jobs.max_queued`` jobs wait already."""
        if self.store.counts()[st.QUEUED] >= self.cfg.max_queued:
            raise JobError(
                429,
                f"input: {self.cfg.max_queued} jobs are queued already (jobs.max_queued); "
                "wait for some to finish or cancel them",
                "input",
            )

    def submit(
        self,
        *,
        input_path: Path,
        face: FacePicture,
        engine: str,
        options: FaceOptions,
        output: str | None,
        quality: int | None,
        background: BackgroundConfig | None = None,
        background_path: Path | None = None,
    ) -> JobOut:
        """Queue a job: ``input_path`` checked already (inside a media folder), the face
        picture kept in the data folder (so a retry after a restart has it); ``background``
        (off when None) and image mode's picture, checked already."""
        kind = input_kind(input_path)
        self._check_pixels(input_path, kind)
        if output is not None:
            if not OUTPUT_NAME.match(output):
                raise JobError(
                    400,
                    "output must be a plain file name (letters, digits, ._-; at most 100)",
                    "output",
                )
            if not output_suffix_ok(kind, input_path, Path(output).suffix):
                wanted = ".mp4" if kind == "video" else input_path.suffix.lower()
                raise JobError(400, f"output: a {kind} job writes {wanted}, not {output}", "output")
        self.check_room()
        try:
            self.outputs_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise JobError(
                503, f"the outputs folder {self.outputs_dir} cannot be made: {exc}"
            ) from exc
        face_path = self._keep_face(face)
        try:
            with self._submit:
                name = self._output_name(kind, input_path, output)
                row = self.store.add(
                    {
                        "id": st.new_id(),
                        "kind": kind,
                        "input": input_path.name,
                        "input_path": str(input_path),
                        "face_kind": face.kind,
                        "face_name": face.name,
                        "face_index": face.face_index,
                        "face_path": str(face_path),
                        "engine": engine,
                        "options": options.model_dump(mode="json"),
                        "quality": self.cfg.quality if quality is None else quality,
                        "output": name,
                        "output_path": str(self.outputs_dir / name),
                        "background": _background_row(background, background_path),
                    },
                    max_queued=self.cfg.max_queued,
                )
        except BaseException:
            self._drop_face(face_path)
            raise
        if row is None:
            self._drop_face(face_path)
            self.check_room()
            raise JobError(429, "input: the queue is full (jobs.max_queued)", "input")
        log.info("job %s queued: %s (%s)", row["id"], row["input"], kind)
        self._pending.set()
        return self.view(row)

    def _check_pixels(self, input_path: Path, kind: str) -> None:
        """413 naming ``input`` for a file whose header declares more pixels than
        ``media.max_megapixels``; 415 for one whose size cannot be read."""
        try:
            if kind == "video":
                check_video(input_path, self.pixel_limit, field="input")
            else:
                check_picture(input_path, self.pixel_limit, name=input_path.name, field="input")
        except TooManyPixels as exc:
            raise JobError(413, exc.keyed, "input") from None
        except SizeUnreadable as exc:
            raise JobError(415, exc.keyed, "input") from None

    def _output_name(self, kind: str, input_path: Path, output: str | None) -> str:
        taken = self.store.names_taken()
        if output is not None:
            if output in taken or (self.outputs_dir / output).exists():
                raise JobError(
                    409,
                    f"output: {output} is taken (a file in {self.outputs_dir} or another "
                    "job's output); name another or delete that job",
                    "output",
                )
            return output
        suffix = ".mp4" if kind == "video" else input_path.suffix.lower()
        stem = f"{_sanitised_stem(input_path.stem)}-swapped"
        for n in range(10000):
            name = f"{stem}{f'-{n}' if n else ''}{suffix}"
            if name not in taken and not (self.outputs_dir / name).exists():
                return name
        raise JobError(409, "output: no free output name; name one", "output")

    def _keep_face(self, face: FacePicture) -> Path:
        """The face picture in the data folder, named by its content (kept once)."""
        suffix = _picture_suffix(face.data)
        digest = hashlib.sha256(face.data).hexdigest()[:20]
        path = self.faces_dir / f"{digest}{suffix}"
        try:
            self.faces_dir.mkdir(parents=True, exist_ok=True)
            if not path.is_file():
                tmp = path.with_name(f".{path.name}.tmp")
                tmp.write_bytes(face.data)
                tmp.replace(path)
        except OSError as exc:
            raise JobError(
                503, f"the face picture cannot be kept in {self.faces_dir}: {exc}"
            ) from exc
        return path

    def _drop_face(self, path: Path) -> None:
        """Remove a kept face picture no job names any more."""
        if str(path) not in self.store.faces_in_use() and inside(path, self.faces_dir):
            path.unlink(missing_ok=True)

    def row(self, job_id: str) -> dict[str, Any]:
        """The job's row; 404 naming ``id`` for an unknown id."""
        row = self.store.get(job_id) if JOB_ID.match(job_id) else None
        if row is None:
            raise JobError(404, f"no job with id {job_id[:40]!r}", "id")
        return row

    def get(self, job_id: str) -> JobOut:
        return self.view(self.row(job_id))

    def listing(self, limit: int = 200, state: str | None = None) -> JobListOut:
        return JobListOut(
            jobs=[self.view(r) for r in self.store.recent(limit, state)],
            counts=JobCounts(**self.store.counts()),
        )

    def cancel(self, job_id: str) -> JobOut:
        """A queued job is cancelled at once; a running one stops before its next frame (its
        worker is killed if it has not stopped within CANCEL_GRACE s); a finished one: 409."""
        row = self.row(job_id)
        if row["state"] == st.QUEUED and self.store.cancel_queued(job_id):
            log.info("job %s cancelled (queued)", job_id)
            return self.get(job_id)
        with self._lock:
            row = self.row(job_id)
            if row["state"] == st.QUEUED and self.store.cancel_queued(job_id):
                return self.get(job_id)
            if row["state"] != st.RUNNING:
                raise JobError(409, f"job {job_id} is {row['state']}: nothing to cancel", "id")
            worker = self._worker_of(job_id)
            if worker is None:  # (running in the list, in no worker: it is over)
                self._end_job(job_id, st.CANCELLED, None)
                return self.get(job_id)
            worker.ask_to_stop("cancelled", CANCEL_GRACE)
            log.info("job %s: cancel asked", job_id)
            deadline = time.monotonic() + CANCEL_WAIT
            while worker.job_id == job_id and time.monotonic() < deadline:
                self._changed.wait(0.05)
        return self.get(job_id)

    def retry(self, job_id: str) -> JobOut:
        """A failed, cancelled or interrupted job queued again (the same id, progress
        reset); 409 in any other state."""
        row = self.row(job_id)
        done = self.store.retry(job_id, self.cfg.max_queued)
        if done is None:
            self.check_room()
        if not done:
            state = self.row(job_id)["state"]
            raise JobError(
                409,
                f"job {job_id} is {state}: only failed, cancelled or interrupted jobs are retried",
                "id",
            )
        remove_partials(Path(row["output_path"]))
        log.info("job %s queued again", job_id)
        self._pending.set()
        return self.get(job_id)

    def delete(self, job_id: str, remove_output: bool) -> JobDeleteOut:
        """Forget a job that is not running (409 while it runs: cancel it first); its output
        file goes too only when ``remove_output``."""
        row = self.row(job_id)
        if row["state"] == st.RUNNING or not self.store.delete(job_id):
            state = self.row(job_id)["state"]
            raise JobError(409, f"job {job_id} is {state}: cancel it first", "id")
        removed = False
        output = Path(row["output_path"])
        if remove_output and inside(output.resolve(), self.outputs_dir) and output.is_file():
            try:
                output.unlink()
                removed = True
            except OSError as exc:
                log.warning("job %s: output %s not removed: %s", job_id, output, exc)
        remove_partials(output)
        self._drop_face(Path(row["face_path"]))
        log.info("job %s deleted%s", job_id, " with its output" if removed else "")
        return JobDeleteOut(id=job_id, deleted=True, output_removed=removed)

    def output_file(self, job_id: str) -> tuple[BinaryIO, int, str, str]:
        """A finished job's file, opened: the file, its size, download name, media type.
        404 naming ``output`` until the job is done (or when the file is gone); 403 when
        something else stands at its path (a link, a folder): it is opened without
        following a link, and only a regular file is sent."""
        row = self.row(job_id)
        path = Path(row["output_path"])
        if row["state"] != st.DONE:
            raise JobError(404, f"job {job_id} is {row['state']}: no output yet", "output")
        not_ours = JobError(
            403,
            f"the output path of job {job_id} ({path}) holds something else than the file the "
            "job wrote (a link or a folder): it is not sent",
            "output",
        )
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            raise JobError(404, f"the output of job {job_id} is gone: {path}", "output") from None
        except OSError:  # ELOOP: a link at the path (O_NOFOLLOW); EISDIR...
            raise not_ours from None
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise not_ours
        mimetype = MIMETYPES.get(path.suffix.lower(), "application/octet-stream")
        return os.fdopen(fd, "rb"), info.st_size, row["output"], mimetype

    def summary(self) -> JobsSummary:
        """For /status and the heartbeat: how many run, wait and failed, and the job running
        (the first, with several workers) with its share done."""
        if self._store is None:
            return JobsSummary(
                running=0,
                queued=0,
                failed=0,
                done=0,
                workers=0,
                current=None,
                error=self.unavailable,
            )
        counts = self.store.counts()
        current = None
        with self._lock:
            running = [w.job_id for w in self._workers if w.job_id is not None]
            live = dict(self._live)
        if running:
            job_id = running[0]
            progress = live.get(job_id) or {}
            current = JobsCurrent(
                id=job_id,
                share=_share(progress.get("frames_done"), progress.get("frames_total")),
                frames_done=progress.get("frames_done", 0),
                frames_total=progress.get("frames_total"),
            )
        return JobsSummary(
            running=counts[st.RUNNING],
            queued=counts[st.QUEUED],
            failed=counts[st.FAILED],
            done=counts[st.DONE],
            workers=len(running),
            current=current,
        )

    def view(self, row: dict[str, Any]) -> JobOut:
        """A job as the API shows it."""
        progress = {
            "frames_done": row["frames_done"],
            "frames_total": row["frames_total"],
            "fps": row["fps"],
            "eta_s": row["eta_s"],
            "frames_swapped": row["frames_swapped"],
            "frames_guarded": row["frames_guarded"],
            "frames_faceless": row["frames_faceless"],
        }
        if row["state"] == st.RUNNING:
            with self._lock:
                live = self._live.get(row["id"])
            if live:
                progress.update(st.progress_values(live))
        done, swapped = progress["frames_done"], progress["frames_swapped"]
        progress["swapped_share"] = round(swapped / done, 4) if done else None
        progress["share"] = _share(done, progress["frames_total"])
        return JobOut(
            id=row["id"],
            state=row["state"],
            input=row["input"],
            kind=row["kind"],
            face=JobFace(
                kind=row["face_kind"], name=row["face_name"], face_index=row["face_index"]
            ),
            engine=row["engine"],
            options=row["options"],
            background=_background_settings(row).model_dump(mode="json"),
            quality=row["quality"],
            output=row["output"],
            output_path=row["output_path"] if row["state"] == st.DONE else None,
            created_at=iso(row["created_at"]),
            queued_at=iso(row["queued_at"]),
            started_at=iso(row["started_at"]),
            finished_at=iso(row["finished_at"]),
            **text_fields("error", row["error"]),
            progress=JobProgress(**progress),
            notice=guarded_notice(progress["frames_guarded"]),
            audio=row["audio"],
            attempts=row["attempts"],
        )

    # ---- history ---------------------------------------------------------------------------

    def trim_history(self, now: float | None = None) -> int:
        """Take finished jobs past ``jobs.keep_days`` or beyond the ``jobs.keep_finished``
        newest off the list, with the face pictures only they kept and any partial file;
        their outputs stay (a person's files are never removed unasked). The count taken."""
        now = time.time() if now is None else now
        days = self.cfg.keep_days
        old = self.store.finished_past(
            None if days is None else now - days * 86400, self.cfg.keep_finished
        )
        removed = self.store.delete_finished([row["id"] for row in old])
        if removed:
            for row in old:
                remove_partials(Path(row["output_path"]))
                self._drop_face(Path(row["face_path"]))
            log.info(
                "job history: %d finished jobs taken off the list (jobs.keep_days, "
                "jobs.keep_finished); their output files are kept",
                removed,
            )
        self._trimmed_at = now
        return removed

    # ---- the thread ------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self._pending.is_set() and not self._closing:
                    self._pending.clear()
                    self._dispatch()
                self._poll(POLL)
                self._enforce_deadlines()
                if time.time() - self._trimmed_at >= TRIM_EVERY:
                    self.trim_history()
                self._fault.clear()
            except Exception as exc:  # the thread must outlive a database hiccup
                if self._fault.fault(f"{exc.__class__.__name__}: {exc}"):
                    log.exception("job queue step failed; retrying")
                self._pending.set()
                self._stop.wait(1.0)

    def _dispatch(self) -> None:
        """Hand queued jobs to free workers, oldest first, starting workers as needed."""
        while not self._closing:
            with self._lock:
                free = [w for w in self._workers if w.job_id is None and w.alive]
                if not free and len(self._workers) >= self.cfg.workers:
                    return
                row = self.store.next_queued()
                if row is None:
                    return
                spec = self._spec(row)
                if not self.store.claim(row["id"]):
                    continue  # cancelled meanwhile
                worker = free[0] if free else self._start_worker()
                try:
                    worker.give(row["id"], spec, self.face_cfg)
                except OSError as exc:  # the worker died just now: the job ran nowhere
                    log.warning(
                        "job worker %d did not take job %s: %s", worker.index, row["id"], exc
                    )
                    worker.job_id = None
                    self._end_job(
                        row["id"], st.FAILED, f"the worker process did not start it: {exc}"
                    )
                    continue
                self._live[row["id"]] = {}
                log.info("job %s started in worker %d", row["id"], worker.index)

    def _start_worker(self) -> WorkerProcess:
        worker = WorkerProcess(self._ctx, self._next_index, self.cfg.nice, self.log_level)
        self._next_index += 1
        self._workers.append(worker)
        return worker

    def _spec(self, row: dict[str, Any]) -> JobSpec:
        return JobSpec(
            input_path=Path(row["input_path"]),
            output_path=Path(row["output_path"]),
            face_path=Path(row["face_path"]),
            face_index=row["face_index"],
            engine=row["engine"],
            options=FaceOptions.model_validate(row["options"]),
            quality=row["quality"],
            max_megapixels=self.pixel_limit.megapixels,
            background=_background_settings(row),
            background_path=(row.get("background") or {}).get("path"),
        )

    def _poll(self, timeout: float) -> None:
        with self._lock:
            workers = list(self._workers)
        if not workers:
            self._stop.wait(timeout)
            return
        by_conn = {w.conn: w for w in workers}
        by_sentinel = {w.process.sentinel: w for w in workers}
        ready = wait([*by_conn, *by_sentinel], timeout)
        dead: list[WorkerProcess] = []
        for item in ready:
            if item in by_conn:
                worker = by_conn[item]
                if not self._drain(worker):
                    dead.append(worker)
            elif isinstance(item, int) and item in by_sentinel:
                dead.append(by_sentinel[item])
        for worker in dict.fromkeys(dead):
            self._drain(worker)
            worker.process.join(1.0)
            self._buried(worker)

    def _drain(self, worker: WorkerProcess) -> bool:
        """Handle every message waiting from ``worker``; False when its pipe has ended."""
        try:
            while worker.conn.poll():
                self._handle(worker, worker.conn.recv())
        except (EOFError, OSError):
            return False
        except Exception as exc:  # a message cut short by a kill
            log.warning("job worker %d: unreadable message (%s)", worker.index, exc)
            return False
        return True

    def _handle(self, worker: WorkerProcess, message: Any) -> None:
        if not (isinstance(message, tuple) and len(message) == 3):
            return
        what, job_id, data = message
        with self._lock:
            if job_id != worker.job_id:
                return  # about a job it no longer runs (ended here already)
            if what == "progress" and isinstance(data, dict):
                self._live[job_id] = data
                now = time.monotonic()
                if now - self._written.get(job_id, 0.0) >= PROGRESS_WRITE_EVERY:
                    self._written[job_id] = now
                    self.store.progress(job_id, data)
                return
            if what == "done" and isinstance(data, dict):
                progress = {
                    **self._live.get(job_id, {}),
                    "frames_done": data.get("frames"),
                    "frames_total": data.get("frames"),
                    "frames_swapped": data.get("frames_swapped"),
                    "frames_guarded": data.get("frames_guarded"),
                    "frames_faceless": data.get("frames_faceless"),
                    "fps": data.get("fps"),
                    "eta_s": 0.0,
                }
                self._end_job(job_id, st.DONE, None, audio=data.get("audio"), progress=progress)
            elif what == "failed":
                self._end_job(job_id, st.FAILED, str(data))
            elif what == "cancelled":
                if worker.cancel_reason == "interrupted":
                    self._end_job(job_id, st.INTERRUPTED, INTERRUPTED_REASON)
                else:
                    self._end_job(job_id, st.CANCELLED, None)
            else:
                return
            worker.job_id = None
            worker.cancel_deadline = None
            self._pending.set()

    def _end_job(
        self,
        job_id: str,
        state: str,
        error: str | None,
        *,
        audio: str | None = None,
        progress: dict[str, Any] | None = None,
    ) -> None:
        with self._lock:
            progress = progress if progress is not None else self._live.get(job_id)
            self.store.finish(job_id, state, error=error, audio=audio, progress=progress)
            self._live.pop(job_id, None)
            self._written.pop(job_id, None)
            self._changed.notify_all()
        if state != st.DONE:
            row = self.store.get(job_id)
            if row is not None:
                remove_partials(Path(row["output_path"]))
        log.info("job %s %s%s", job_id, state, f": {error}" if error else "")

    def _buried(self, worker: WorkerProcess) -> None:
        """A worker that ended: its job ends (failed with the reason, unless it was being
        cancelled or interrupted), and the next job gets a new worker."""
        with self._lock:
            if worker in self._workers:
                self._workers.remove(worker)
            job_id, worker.job_id = worker.job_id, None
            if job_id is not None:
                if worker.cancel_reason == "cancelled":
                    self._end_job(job_id, st.CANCELLED, None)
                elif worker.cancel_reason == "interrupted":
                    self._end_job(job_id, st.INTERRUPTED, INTERRUPTED_REASON)
                else:
                    reason = worker.exit_reason()
                    log.warning("job %s failed: %s", job_id, reason)
                    self._end_job(job_id, st.FAILED, reason)
            self._changed.notify_all()
        if not self._closing:
            if job_id is None or worker.cancel_reason is None:
                log.warning(
                    "job worker %d ended (%s); a new one starts with the next job",
                    worker.index,
                    worker.exit_reason(),
                )
            self._pending.set()
        worker.conn.close()

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        with self._lock:
            late = [
                w
                for w in self._workers
                if w.job_id is not None
                and w.cancel_deadline is not None
                and now > w.cancel_deadline
            ]
        for worker in late:
            log.warning(
                "job %s did not stop within %.1f s; its worker is killed",
                worker.job_id,
                CANCEL_GRACE,
            )
            worker.kill()  # _poll sees it gone and ends the job

    def _worker_of(self, job_id: str) -> WorkerProcess | None:
        return next((w for w in self._workers if w.job_id == job_id), None)

    def workers(self) -> Iterator[WorkerProcess]:
        with self._lock:
            yield from list(self._workers)


def _picture_suffix(data: bytes) -> str:
    """The file extension a picture's first bytes say (the name may say otherwise)."""
    if data.startswith(b"\x89PNG"):
        return ".png"
    if data.startswith(b"\xff\xd8"):
        return ".jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    if data.startswith(b"BM"):
        return ".bmp"
    return ".img"


def _share(done: Any, total: Any) -> float | None:
    if not isinstance(done, int) or not isinstance(total, int) or total <= 0:
        return None
    return round(min(1.0, done / total), 4)


def _background_row(settings: BackgroundConfig | None, path: Path | None) -> dict[str, Any] | None:
    """A job's background as its row keeps it (null: off)."""
    if settings is None or settings.mode == "off":
        return None
    return {**settings.model_dump(mode="json"), "path": None if path is None else str(path)}


def _background_settings(row: dict[str, Any]) -> BackgroundConfig:
    """A job row's background (off for a row written before jobs had one)."""
    kept = {k: v for k, v in (row.get("background") or {}).items() if k != "path"}
    return BackgroundConfig.model_validate(kept)
