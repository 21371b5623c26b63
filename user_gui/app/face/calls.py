"""The face panels' changes to the backend, run on the pool one by one as the person makes
them: while one is under way the controls wait (``busy``), and a refresh of ``GET
/face/status`` begun before it is stale (``changes``), so a change the person started wins
over a refresh that was already on its way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PyQt5.QtCore import QObject, pyqtSignal

from user_gui.app.workers import run_async
from user_gui.services.clients import ARBackendClient


class FaceCalls(QObject):
    """``call(fn, on_done, on_failed)``: one user change; ``busy_changed`` says when the
    first starts and the last ends."""

    busy_changed = pyqtSignal(bool)

    def __init__(self, backend: ARBackendClient, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self._busy = 0  # changes in flight: a refresh must not undo them
        self._changes = 0  # bumped by each change: a refresh begun before it is stale

    @property
    def busy(self) -> bool:
        return self._busy > 0

    @property
    def changes(self) -> int:
        """Taken when a refresh starts; its answer is shown only if this has not moved."""
        return self._changes

    def call(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_failed: Callable[[str], None],
    ) -> None:
        """Run ``fn`` on the pool as a user change; ``on_done(result)`` or
        ``on_failed(message)`` come back on the GUI thread, once the controls are free."""
        self._changes += 1
        self._set_busy(+1)

        def done(result: Any) -> None:
            self._changes += 1
            self._set_busy(-1)
            on_done(result)

        def failed(message: str) -> None:
            self._changes += 1
            self._set_busy(-1)
            on_failed(message)

        run_async(fn, done, failed)

    def _set_busy(self, delta: int) -> None:
        was = self.busy
        self._busy = max(0, self._busy + delta)
        if self.busy != was:
            self.busy_changed.emit(self.busy)
