"""Over the preview while the backend is offline: how to start it (the command for this setup
with Copy) and, when the backend is on this machine and was started by ``./start_all.sh``, a
**Start** button that runs the launcher (user_gui/services/backend_starter.py) and follows it
without waiting: the window's own health check sees the backend come back."""

from __future__ import annotations

import logging
import subprocess

from PyQt5.QtCore import QTimer
from PyQt5.QtWidgets import QPushButton, QWidget

from user_gui.app.fix_box import FixBox
from user_gui.app.i18n import tr
from user_gui.app.widgets import on_language_change
from user_gui.services.backend_starter import BackendStarter

log = logging.getLogger(__name__)
POLL_MS = 500  # how often a running launcher is looked at (never waited for)


class OfflineBox(FixBox):
    """``show_offline()`` while the backend does not answer, ``backend_back()`` once it does."""

    def __init__(self, starter: BackendStarter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.starter = starter
        self._proc: subprocess.Popen[bytes] | None = None
        self.start_button = QPushButton("", self)
        self.start_button.clicked.connect(self.start_backend)
        self.add_button(self.start_button)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._check)
        self._relabel()
        on_language_change(self, self._relabel)

    def _relabel(self) -> None:
        starting = self._proc is not None
        self.start_button.setText(tr("Starting…") if starting else tr("Start the backend"))
        self.start_button.setToolTip(tr("Runs the studio's launcher here, as start_all.sh does"))

    def show_offline(self, failed: str = "") -> None:
        """Say the backend is not running, how to start it, and offer Start where the window
        can (``failed``: why a start from here did not work)."""
        starter = self.starter
        url = starter.url
        if failed:
            self.show_fix(
                lambda: tr("The backend did not start. Its launcher said:") + "\n" + failed,
                starter.command() or None,
                failed,
            )
        elif starter.local:
            self.show_fix(
                lambda: tr("The studio's backend is not running. Start it with this command:"),
                starter.command(),
                url,
                error=False,
            )
        else:
            self.show_fix(
                lambda: tr(
                    "The backend at {url} does not answer: start it on that computer.", url=url
                ),
                None,
                url,
                error=False,
            )
        self.start_button.setVisible(starter.can_start)
        self.start_button.setEnabled(self._proc is None)

    def backend_back(self) -> None:
        self.hide()
        self._poll.stop()
        self._proc = None
        self._relabel()

    def start_backend(self) -> None:
        """Run the launcher (detached, it returns at once); its end is looked at every half
        second, and the health check shows the backend when it answers."""
        if self._proc is not None:
            return
        log.info("starting the backend: %s", " ".join(self.starter.argv))
        try:
            self._proc = self.starter.start()
        except OSError as exc:
            self.show_offline(failed=str(exc))
            return
        self.start_button.setEnabled(False)
        self._relabel()
        self._poll.start()

    def _check(self) -> None:
        proc = self._proc
        if proc is None or proc.poll() is None:
            return
        self._poll.stop()
        self._proc = None
        self._relabel()
        if proc.returncode != 0:
            said = self.starter.last_lines() or tr("exit status {code}", code=proc.returncode)
            log.warning("the backend's launcher failed: %s", said)
            self.show_offline(failed=said)
        else:
            self.start_button.setEnabled(True)
