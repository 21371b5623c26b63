"""The Files tab (issue 15): whole videos and pictures swapped on the backend, in a queue.

Files come in through "Add files…" (a file dialog) or dropped onto the tab; each becomes a job
(``POST /jobs``, the file uploaded) with the face chosen here: the face the studio has loaded
(the default) or a picture chosen for these jobs, and the options (many faces, mouth mask, the
face enhancer and its strength: off by default; the face panel's "Use for file jobs" sets it).
The queue shows each job: its file, its state, a progress bar (frames done of the total, fps,
time left, share of frames swapped), and the buttons that fit its state: cancel, retry,
remove, open the output's folder, open the output.

The list is the backend's (``GET /jobs``), read on the pool about once a second while a job is
queued or running and every few seconds otherwise; nothing here waits on the network. When a
job ends the panel says so: a line in the tab and in the log ("clip.mp4: done in 12 s",
"clip.mp4 failed: <reason>"), and a system tray message where the desktop has a tray.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PyQt5.QtCore import QUrl, pyqtSignal
from PyQt5.QtGui import QDesktopServices, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PyQt5.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from shared.wire.backend import JobListOut, JobOut
from user_gui.app.i18n import tr
from user_gui.app.job_form import JobForm
from user_gui.app.job_row import ACTIVE, ENDED, JobRow, ended_line, state_text
from user_gui.app.user_files import (
    IMAGE_SUFFIXES,
    VIDEO_SUFFIXES,
    dialog_folder,
    is_media,
    patterns,
    remember_folder,
    user_folder,
)
from user_gui.app.widgets import GREYED, MessageLabel, RowList, wrapping
from user_gui.app.workers import ListPoller, run_async
from user_gui.services.clients import ARBackendClient

log = logging.getLogger(__name__)
FAST_MS = 1000  # while a job is queued or running
SLOW_MS = 5000  # otherwise


class FilesPanel(QWidget):
    """The Files tab. ``add_files(paths)`` queues jobs; ``refresh()`` reads the list now;
    ``set_backend_ok`` follows the window's health check; ``stop()`` ends its timer."""

    job_ended = pyqtSignal(str, str)  # the job's id, the line shown ("clip.mp4: done in 12 s")
    jobs_shown = pyqtSignal()  # a list from the backend is on screen

    def __init__(self, backend: ARBackendClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.jobs: list[JobOut] = []
        self.counts: dict[str, int] = {}
        self.tray: QSystemTrayIcon | None = None
        self.last_notice = ""  # "clip.mp4: done in 12 s": the last job that ended
        self._notice_error = False
        self._backend_ok = False
        self._states: dict[str, str] = {}  # each job's state as last seen
        self._listed = False  # a first list has been read: a job new to it is news
        self._adding = 0
        self.setAcceptDrops(True)
        self._build()
        self._poller = ListPoller(self.backend.jobs, self._interval, self)
        self._poller.listed.connect(self._on_jobs)
        self._poller.failed.connect(self._on_jobs_failed)

    # ---- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        col = QVBoxLayout(self)
        col.setContentsMargins(6, 6, 6, 6)
        row = QHBoxLayout()
        self.add_button = QPushButton(tr("Add files…"))
        self.add_button.setToolTip(tr("Swap the face in whole videos or pictures"))
        self.add_button.clicked.connect(self.choose_files)
        hint = wrapping(QLabel(tr("or drop video and picture files here")))
        hint.setStyleSheet(f"color:{GREYED};")
        row.addWidget(self.add_button)
        row.addWidget(hint, 1)
        col.addLayout(row)

        self.form = JobForm()
        col.addWidget(self.form)

        self.message = MessageLabel()
        col.addWidget(self.message)
        self.notice = MessageLabel()
        col.addWidget(self.notice)
        self.summary = QLabel("")
        self.summary.setStyleSheet(f"color:{GREYED};")
        col.addWidget(self.summary)

        self.list: RowList[JobRow] = RowList(spacing=6)
        self.list.empty.setText(tr("No jobs yet: add or drop video and picture files."))
        col.addWidget(self.list, 1)

    def set_enhancer(self, model: str, strength: float | None = None) -> None:
        """Jobs added from now on run this enhancer ("off": none), at ``strength``."""
        self.form.set_enhancer(model, strength)

    @property
    def rows(self) -> dict[str, JobRow]:
        """Each job's row, by id."""
        return self.list.rows

    @property
    def listed(self) -> bool:
        """A list from the backend has been shown."""
        return self._listed

    @property
    def stopped(self) -> bool:
        return self._poller.stopped

    # ---- the backend's state ---------------------------------------------------------------

    def set_backend_ok(self, ok: bool, reason: str = "") -> None:
        was = self._backend_ok
        self._backend_ok = ok
        self.add_button.setEnabled(ok)
        if not ok:
            self.message.show_message(reason, error=True)
        elif not was:
            self.message.show_message("")
            self.refresh()  # back: the real list at once

    def refresh(self) -> None:
        """Read the job list on the pool (one read at a time); the next read is planned when
        its answer is in: soon while a job is queued or running, later otherwise."""
        self._poller.refresh()

    def _interval(self) -> int:
        busy = any(j.state in ACTIVE for j in self.jobs) or self._adding > 0
        return FAST_MS if busy else SLOW_MS

    def _on_jobs_failed(self, msg: str) -> None:
        log.debug("jobs not read: %s", msg)
        said = self.message.full_text
        unavailable = tr("The job list is unavailable: {error}", error="")
        if said and not said.startswith(unavailable):
            return  # what the person's own action met says more; it stays
        if self._backend_ok:
            self.message.show_message(tr("The job list is unavailable: {error}", error=msg), True)

    def _on_jobs(self, answer: JobListOut) -> None:
        if self.message.full_text.startswith(tr("The job list is unavailable: {error}", error="")):
            self.message.show_message("")
        self.show_jobs(answer.jobs, answer.counts.model_dump())

    def show_jobs(self, jobs: list[JobOut], counts: dict[str, int] | None = None) -> None:
        """The backend's list, newest first: rows made, updated, reordered and dropped; a job
        that ended since the last list is announced."""
        for job in jobs:
            before = self._states.get(job.id)
            if job.state in ENDED and (before in ACTIVE or (before is None and self._listed)):
                self._announce(job)
            self._states[job.id] = job.state
        ids = {j.id for j in jobs}
        for gone in [k for k in self._states if k not in ids]:
            del self._states[gone]
        self._listed = True
        self.jobs = list(jobs)
        self.counts = dict(counts or {})
        self.list.show_items(jobs, lambda j: j.id, self._make_row, JobRow.show_job)
        self._show_summary()
        self.jobs_shown.emit()

    def _make_row(self, job: JobOut) -> JobRow:
        row = JobRow(job)
        row.cancel_clicked.connect(self.cancel)
        row.retry_clicked.connect(self.retry)
        row.remove_clicked.connect(self.remove)
        row.open_clicked.connect(self.open_output)
        return row

    def _show_job(self, job: JobOut) -> None:
        """One job's own answer (added, cancelled, retried) shown before the next list."""
        self._poller.changed()
        others = [j for j in self.jobs if j.id != job.id]
        known = job.id in {j.id for j in self.jobs}
        jobs = [job if j.id == job.id else j for j in self.jobs] if known else [job, *others]
        self.show_jobs(jobs, self.counts)

    def _show_summary(self) -> None:
        """How many jobs are in each state: the backend's counts (the list may be cut)."""
        states = [j.state for j in self.jobs]
        order = ("running", "queued", "done", "failed", "cancelled", "interrupted")
        counts = {s: self.counts.get(s, states.count(s)) for s in order}
        parts = [f"{counts[s]} {state_text(s)}" for s in order if counts[s]]
        self.summary.setText(" · ".join(parts))

    def _show_notice(self) -> None:
        """The last job that ended, in the line above the list (it stays until the next)."""
        self.notice.show_message(self.last_notice, error=self._notice_error)

    def _announce(self, job: JobOut) -> None:
        line = ended_line(job)
        self.last_notice, self._notice_error = line, job.state == "failed"
        self._show_notice()
        if job.state == "failed":
            log.warning("%s", line)
        else:
            log.info("%s", line)
        self._tray_message(line, job.state == "done")
        self.job_ended.emit(job.id, line)

    def _tray_message(self, line: str, good: bool) -> None:
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return
        if self.tray is None:
            icon = QApplication.windowIcon()
            if icon.isNull():
                style = self.style()
                if style is not None:
                    icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay)
            self.tray = QSystemTrayIcon(icon, self)
            self.tray.setToolTip("AR Live Studio")
        self.tray.show()
        kind = (
            QSystemTrayIcon.MessageIcon.Information if good else QSystemTrayIcon.MessageIcon.Warning
        )
        self.tray.showMessage("AR Live Studio", line, kind, 6000)

    # ---- adding files ----------------------------------------------------------------------

    def choose_files(self) -> None:
        media = tr(
            "Videos and pictures ({patterns})", patterns=patterns(VIDEO_SUFFIXES + IMAGE_SUFFIXES)
        )
        videos = tr("Videos ({patterns})", patterns=patterns(VIDEO_SUFFIXES))
        pictures = tr("Pictures ({patterns})", patterns=patterns(IMAGE_SUFFIXES))
        paths, _ = QFileDialog.getOpenFileNames(
            self,
            tr("Add videos or pictures"),
            dialog_folder("videos"),
            f"{media};;{videos};;{pictures}",
        )
        if paths:
            remember_folder("videos", paths[0])
            self.add_files(paths)

    def add_files(self, paths: list[str]) -> None:
        """Queue one job per file (uploaded on the pool); other files are named and left."""
        refused = [p for p in paths if not is_media(p)]
        if refused:
            names = ", ".join(Path(p).name for p in refused)
            self.message.show_message(tr("Not a video or picture: {names}", names=names), True)
        elif paths:
            self.message.show_message("")
        settings = self.form.job_settings()
        for path in paths:
            if is_media(path):
                self._add(Path(path), settings)

    def _add(self, path: Path, settings: dict[str, Any]) -> None:
        self._adding += 1
        self.notice.show_message(tr("Adding {name}…", name=path.name))

        def done(job: JobOut) -> None:
            self._adding -= 1
            if self.stopped:
                return
            log.info("job %s added: %s", job.id, job.input)
            if self.notice.full_text == tr("Adding {name}…", name=path.name):
                self._show_notice()
            self._show_job(job)
            self.refresh()

        def failed(msg: str) -> None:
            self._adding -= 1
            if self.stopped:
                return
            log.warning("%s not added: %s", path.name, msg)
            if self.notice.full_text == tr("Adding {name}…", name=path.name):
                self._show_notice()
            self.message.show_message(
                tr("{name} not added: {error}", name=path.name, error=msg), True
            )

        run_async(lambda: self.backend.create_job(path, **settings), done, failed)

    def dragEnterEvent(self, event: QDragEnterEvent | None) -> None:
        if event is not None and self._local_files(event):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent | None) -> None:
        if event is not None and self._local_files(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent | None) -> None:
        if event is None:
            return
        paths = self._local_files(event)
        if not paths:
            return
        event.acceptProposedAction()
        if not self._backend_ok:
            self.message.show_message(tr("The backend is not reachable: nothing added"), True)
            return
        self.add_files(paths)

    @staticmethod
    def _local_files(event: QDropEvent) -> list[str]:
        mime = event.mimeData()
        if mime is None or not mime.hasUrls():
            return []
        return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]

    # ---- each job's buttons ----------------------------------------------------------------

    def _job_call(
        self,
        job_id: str,
        fn: Callable[[], Any],
        what: str,
        after: Callable[[Any], None] | None = None,
    ) -> None:
        row = self.rows.get(job_id)
        if row is not None:
            row.set_busy(True)
        self.message.show_message("")

        def finish() -> None:
            r = self.rows.get(job_id)
            if r is not None:
                r.set_busy(False)

        def done(answer: Any) -> None:
            if self.stopped:
                return
            finish()
            if isinstance(answer, JobOut):
                self._show_job(answer)
            if after is not None:
                after(answer)
            self.refresh()

        def failed(msg: str) -> None:
            if self.stopped:
                return
            finish()
            log.warning("%s: %s", what, msg)
            self.message.show_message(f"{what}: {msg}", error=True)
            self.refresh()

        run_async(fn, done, failed)

    def _name(self, job_id: str) -> str:
        row = self.rows.get(job_id)
        return row.job.input if row is not None else job_id

    def cancel(self, job_id: str) -> None:
        name = self._name(job_id)
        what = tr("{name} not cancelled", name=name)
        self._job_call(job_id, lambda: self.backend.cancel_job(job_id), what)

    def retry(self, job_id: str) -> None:
        what = tr("{name} not retried", name=self._name(job_id))
        self._job_call(job_id, lambda: self.backend.retry_job(job_id), what)

    def remove(self, job_id: str) -> None:
        """Take the job off the list; its output file stays."""
        what = tr("{name} not removed", name=self._name(job_id))

        def work() -> None:
            self.backend.delete_job(job_id, output=False)

        def gone(_none: Any) -> None:
            self._poller.changed()
            self.show_jobs([j for j in self.jobs if j.id != job_id], self.counts)

        self._job_call(job_id, work, what, after=gone)

    def open_output(self, job_id: str, folder: bool = False) -> None:
        """Open a done job's output (or its folder) with the desktop's own program. A backend
        on another machine: the file is downloaded into the Videos folder first."""
        row = self.rows.get(job_id)
        if row is None or row.job.state != "done":
            return
        job = row.job
        path = Path(job.output_path) if job.output_path else None
        if path is not None and path.is_file():
            self._open(path, folder)
            return
        name = job.output or (path.name if path else f"{job_id}.mp4")
        dest = local_outputs_folder() / name

        def work() -> Path:
            dest.parent.mkdir(parents=True, exist_ok=True)
            return self.backend.download_job_output(job_id, dest)

        self.notice.show_message(tr("Downloading {name}…", name=name))

        def done(saved: Path) -> None:
            self._show_notice()
            log.info("%s saved at %s", name, saved)
            self._open(saved, folder)

        def failed(msg: str) -> None:
            self._show_notice()
            self.message.show_message(tr("{name} not downloaded: {error}", name=name, error=msg))

        run_async(work, done, failed)

    def _open(self, path: Path, folder: bool) -> None:
        """The desktop's own program opens the file (or its folder); when none can, the
        person is told where the file is instead of nothing happening."""
        target = path.parent if folder else path
        if QDesktopServices.openUrl(QUrl.fromLocalFile(str(target))):
            return
        log.warning("no program opened %s", target)
        if folder:
            text = tr("No program here opens folders: the file is in {folder}", folder=str(target))
        else:
            text = tr(
                "No program here opens {name}: it is in {folder}",
                name=path.name,
                folder=str(path.parent),
            )
        self.message.show_message(text, error=True)

    # ---- lifecycle -------------------------------------------------------------------------

    def stop(self) -> None:
        """The window closes: no more reads, answers still on their way change nothing."""
        self._poller.stop()
        if self.tray is not None:
            self.tray.hide()


def local_outputs_folder() -> Path:
    """Where outputs fetched from a backend on another machine go."""
    return user_folder("videos") / "AR Live Studio"
