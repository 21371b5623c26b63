"""Work off the GUI thread: one-shot calls on a thread pool, a list read again and again on
it (``ListPoller``), and the MJPEG preview reader."""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from PyQt5.QtCore import (
    QCoreApplication,
    QObject,
    QRunnable,
    QThread,
    QThreadPool,
    QTimer,
    pyqtSignal,
)
from PyQt5.QtGui import QImage

from shared.http import HttpError
from shared.mjpeg import iter_parts, open_stream
from user_gui.app import i18n

log = logging.getLogger(__name__)


class _TaskSignals(QObject):
    done = pyqtSignal(object)
    failed = pyqtSignal(str)


class Task(QRunnable):
    """Runs ``fn()`` on the global pool; ``done(result)`` or ``failed(message)`` come back on
    the GUI thread (queued signals).

    The pool deletes a finished task on its own thread, maybe before its answer is delivered:
    so the signals belong to the application (made on the GUI thread) and delete themselves
    there once the answer is in, never on the pool's thread while a slot may be running.
    """

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.fn = fn
        app = QCoreApplication.instance()
        self.on_gui_thread = app is not None and QThread.currentThread() == app.thread()
        self.signals = _TaskSignals(app if self.on_gui_thread else None)

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # the message is shown to the person
            self.signals.failed.emit(human_message(exc))
        else:
            self.signals.done.emit(result)


_CALL = re.compile(r"^[A-Z]+ \S+: (HTTP \d+: )?")


def human_message(exc: BaseException) -> str:
    """What a person reads: the service's own words in the window's language (its message
    key rendered from the catalogue, else its English), without the method, URL and status
    code (those go to the log)."""
    reason = getattr(exc, "reason", None)
    if isinstance(reason, str) and reason:
        key = getattr(exc, "message_key", None)
        args = getattr(exc, "message_args", None)
        return i18n.message(
            reason, key if isinstance(key, str) else None, args if isinstance(args, dict) else None
        )
    text = str(exc)
    if isinstance(exc, HttpError):
        log.info("call failed: %s", text)
        return _CALL.sub("", text) or text
    return text


_POOL: QThreadPool | None = None


def python_pool() -> QThreadPool:
    """The pool our Python calls run on: never Qt's global pool.

    Qt itself uses the global pool (smooth image scaling splits its work there and waits for
    it while the GUI thread holds Python's GIL). Python tasks queued on that pool wait for
    the GIL in turn, and the window would freeze for good: a deadlock seen under X11.
    """
    global _POOL
    if _POOL is None:
        _POOL = QThreadPool(QCoreApplication.instance())
        _POOL.setMaxThreadCount(4)
    return _POOL


def _late_answers_dropped(slot: Callable[[Any], None]) -> Callable[[Any], None]:
    """``slot``, except that an answer arriving after its widgets were deleted (the window
    closed while the call ran) is dropped instead of failing in Qt's event loop."""

    def deliver(answer: Any) -> None:
        try:
            slot(answer)
        except RuntimeError as exc:
            if "has been deleted" not in str(exc):
                raise
            log.debug("an answer for a closed window dropped: %s", exc)

    return deliver


def run_async(
    fn: Callable[[], Any],
    on_done: Callable[[Any], None] | None = None,
    on_failed: Callable[[str], None] | None = None,
    pool: QThreadPool | None = None,
) -> Task:
    """Run ``fn`` on the pool; ``on_done(result)`` or ``on_failed(message)`` on the GUI
    thread (dropped when their widgets were deleted meanwhile)."""
    task = Task(fn)
    if on_done is not None:
        task.signals.done.connect(_late_answers_dropped(on_done))
    if on_failed is not None:
        task.signals.failed.connect(_late_answers_dropped(on_failed))
    if task.on_gui_thread:  # queued after the slots above: freed once they have run
        task.signals.done.connect(task.signals.deleteLater)
        task.signals.failed.connect(task.signals.deleteLater)
    (pool or python_pool()).start(task)
    return task


class ListPoller(QObject):
    """A list read from a service again and again, on the pool, one read at a time.

    ``read()`` runs on the pool, never on the GUI thread; its answer comes back as
    ``listed(answer)``, its failure as ``failed(message)``. When either is in (and its slots
    have run), ``interval()`` says in how many milliseconds to read again (fast while something
    is active, slow otherwise), or None to plan nothing until ``refresh()``.

    ``refresh()`` reads now; asked for while a read runs, it gives exactly one more read after
    it. ``changed()`` says a change was made here: an answer read before it is stale, so it is
    dropped and read again at once. ``pause()`` drops the read planned (``refresh()`` starts
    again); ``stop()`` ends it all: no more reads, and answers still on their way are dropped.
    """

    listed = pyqtSignal(object)  # the answer of a read begun after the last change made here
    failed = pyqtSignal(str)  # what a person reads

    def __init__(
        self,
        read: Callable[[], Any],
        interval: Callable[[], int | None],
        parent: QObject | None = None,
        pool: QThreadPool | None = None,
    ) -> None:
        super().__init__(parent)
        self._read = read
        self._interval = interval
        self._pool = pool
        self._fetching = False
        self._again = False  # a refresh asked for while a read was under way
        self._changes = 0  # bumped by each change made here: a list read before it is stale
        self._stopped = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.refresh)

    @property
    def fetching(self) -> bool:
        """A read is under way."""
        return self._fetching

    @property
    def stopped(self) -> bool:
        return self._stopped

    def refresh(self) -> None:
        """Read now (or, while a read runs, once more after it)."""
        if self._stopped:
            return
        if self._fetching:
            self._again = True
            return
        self._fetching = True
        self._timer.stop()
        serial = self._changes
        run_async(
            self._read, lambda answer: self._on_listed(answer, serial), self._on_failed, self._pool
        )

    def changed(self) -> None:
        """A change was made here: an answer already on its way is stale."""
        self._changes += 1

    def pause(self) -> None:
        """No read planned: the next one is the next ``refresh()``."""
        self._timer.stop()

    def stop(self) -> None:
        """No more reads; answers still on their way are dropped."""
        self._stopped = True
        self._timer.stop()

    def _next(self) -> None:
        if self._stopped or self._fetching:  # a read began meanwhile: its answer plans the next
            return
        if self._again:
            self._again = False
            self.refresh()
            return
        ms = self._interval()
        if ms is not None:
            self._timer.start(ms)

    def _on_failed(self, message: str) -> None:
        self._fetching = False
        if self._stopped:
            return
        self.failed.emit(message)
        self._next()

    def _on_listed(self, answer: Any, serial: int) -> None:
        self._fetching = False
        if self._stopped:
            return
        if serial != self._changes:
            self._again = True  # read before a change made here: the next read shows it
        else:
            self.listed.emit(answer)
        self._next()


class MjpegReader(QThread):
    """Reads the backend's /video_feed and emits each decoded frame (Qt decodes the JPEG).

    Reconnects by itself with backoff; ``stop()`` ends it from the GUI thread.
    """

    frame = pyqtSignal(QImage, int)
    state = pyqtSignal(str)  # "connecting", "streaming", "waiting: <reason>"
    _fresh = pyqtSignal()  # internal: a frame waits in the slot

    def __init__(self, url: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.url = url
        self._running = True
        self._sock: socket.socket | None = None
        # one frame waits for the GUI at most: a newer one replaces it (counted), so a
        # window that paints slower than the stream shows the newest frame, never a backlog
        self._slot_lock = threading.Lock()
        self._latest: tuple[QImage, int] | None = None
        self.skipped = 0
        self._fresh.connect(self._deliver)  # queued: runs on the GUI thread

    def _deliver(self) -> None:
        with self._slot_lock:
            item, self._latest = self._latest, None
        if item is not None:
            self.frame.emit(*item)

    def stop(self) -> None:
        self._running = False
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.wait(3000)

    def run(self) -> None:
        delay = 0.5
        while self._running:
            self.state.emit("connecting")
            try:
                self._stream()
                delay = 0.5
            except (OSError, ValueError, EOFError) as exc:
                if not self._running:
                    break
                self.state.emit(f"waiting: {exc}")
            deadline = time.monotonic() + delay
            while self._running and time.monotonic() < deadline:
                time.sleep(0.05)
            delay = min(delay * 2, 5.0)

    def _stream(self) -> None:
        sock = open_stream(self.url)
        self._sock = sock
        try:
            self.state.emit("streaming")
            for headers, data in iter_parts(sock):
                if not self._running:
                    return
                image = QImage.fromData(data, "JPG")
                if image.isNull():
                    continue
                with self._slot_lock:
                    waiting = self._latest is not None
                    self._latest = (image, int(headers.get("x-frame-seq", "0")))
                if waiting:
                    self.skipped += 1  # the GUI has not taken the last one: replaced
                else:
                    self._fresh.emit()
        finally:
            self._sock = None
            sock.close()
