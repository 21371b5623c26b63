"""Work off the GUI thread: one-shot calls on a thread pool, and the MJPEG preview reader."""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import Callable
from typing import Any

from PyQt5.QtCore import QCoreApplication, QObject, QRunnable, QThread, QThreadPool, pyqtSignal
from PyQt5.QtGui import QImage

from shared.mjpeg import iter_parts, open_stream

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
            self.signals.failed.emit(str(exc))
        else:
            self.signals.done.emit(result)


def run_async(
    fn: Callable[[], Any],
    on_done: Callable[[Any], None] | None = None,
    on_failed: Callable[[str], None] | None = None,
    pool: QThreadPool | None = None,
) -> Task:
    task = Task(fn)
    if on_done is not None:
        task.signals.done.connect(on_done)
    if on_failed is not None:
        task.signals.failed.connect(on_failed)
    if task.on_gui_thread:  # queued after the slots above: freed once they have run
        task.signals.done.connect(task.signals.deleteLater)
        task.signals.failed.connect(task.signals.deleteLater)
    (pool or QThreadPool.globalInstance()).start(task)
    return task


class MjpegReader(QThread):
    """Reads the backend's /video_feed and emits each decoded frame (Qt decodes the JPEG).

    Reconnects by itself with backoff; ``stop()`` ends it from the GUI thread.
    """

    frame = pyqtSignal(QImage, int)
    state = pyqtSignal(str)  # "connecting", "streaming", "waiting: <reason>"

    def __init__(self, url: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.url = url
        self._running = True
        self._sock: socket.socket | None = None

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
                if not image.isNull():
                    self.frame.emit(image, int(headers.get("x-frame-seq", "0")))
        finally:
            self._sock = None
            sock.close()
