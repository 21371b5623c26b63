"""How to start the backend when the window finds it offline: the command for this setup, and
whether the window may run it itself (the backend is on this machine and was started by
``./start_all.sh`` / ``ar-live-studio start``, which left its pid file behind).

No Qt here: the window shows the command and a Start button; ``start()`` launches
``python -m ar_live_studio start --no-gui`` (what start_all.sh runs once its venv is ready)
detached, in the app's folder, its output in ``<logs>/launcher.log``, and returns at once.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from shared.places import Places

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
SYSTEMD_UNIT = Path("/etc/systemd/system/ar-backend.service")
PID_FILE = "ar_backend.pid"  # written by ar_live_studio's launcher


def _launcher_argv() -> list[str]:
    return [sys.executable, "-m", "ar_live_studio", "start", "--no-gui"]


@dataclass(frozen=True)
class BackendStarter:
    """``url``: the backend the window talks to; ``places``: this app's folders."""

    url: str
    places: Places
    argv: list[str] = field(default_factory=_launcher_argv)  # what Start runs
    systemd_unit: Path = SYSTEMD_UNIT

    @property
    def local(self) -> bool:
        """The backend runs on this machine (its URL names a loopback address)."""
        host = urlsplit(self.url).hostname or ""
        return host in LOCAL_HOSTS or host.startswith("127.")

    @property
    def started_by_launcher(self) -> bool:
        """``start_all.sh`` (or ``ar-live-studio start``) started it: its pid file is there
        (still, once the process died; ``stop`` removes it)."""
        return self.local and (self.places.run_dir / PID_FILE).is_file()

    @property
    def can_start(self) -> bool:
        """The window may start it itself: local, started by the launcher, not a systemd
        service (systemd restarts that one itself; starting it needs root)."""
        return self.started_by_launcher and not self.systemd_unit.is_file()

    def command(self) -> str:
        """The command a person runs to start it here ("" for a backend on another
        machine: it is started there)."""
        if not self.local:
            return ""
        if self.systemd_unit.is_file():
            return "sudo systemctl start ar-backend"
        if self.places.checkout:
            return f"cd {shlex.quote(str(self.places.home))} && ./start_all.sh start"
        return "ar-live-studio start"

    @property
    def log(self) -> Path:
        return self.places.log_dir / "launcher.log"

    def start(self) -> subprocess.Popen[bytes]:
        """Run the launcher, detached (it outlives the window), its output in ``log``."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            return subprocess.Popen(
                self.argv,
                cwd=self.places.home,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def last_lines(self, count: int = 6) -> str:
        """The end of the launcher's output (why a start failed)."""
        try:
            lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-count:])
