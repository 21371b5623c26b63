"""The studio's three processes for a desktop user: started in order, each waited for until
its health endpoint answers, stopped in reverse order, their state shown in a table.

Each runs as ``python -m NAME --config FILE`` (this interpreter, so the same environment) in
the app's folder, detached from the terminal, its output appended to ``<logs>/NAME.log``
(rotated at 10 MB, three kept), its pid in ``<run>/NAME.pid``. Ports and health paths come
from ``services.yaml``, the one list the monitor polls too. Folders: shared/places.py.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from shared.config import ConfigError, ServiceEntry, load_services
from shared.places import Places
from shared.ports import port_holder

START_WAIT = 60.0  # s a service may take to answer its health check (a loaded machine)
STOP_WAIT = 20.0  # s after SIGTERM before SIGKILL
# MediaPipe's face, hand and segmentation models (a few MB, out of the pinned mediapipe wheel
# through pip), fetched on the first start; without them the face swap runs on dlib's detector
FACE_MODELS = ("mediapipe_face", "mediapipe_hands", "mediapipe_segmentation")
LOG_MAX = 10 * 1024 * 1024
LOG_KEEP = 3


@dataclass(frozen=True)
class Service:
    module: str  # python -m MODULE
    key: str  # its entry in services.yaml
    config: str  # its config file
    command: str  # its installed command


SERVICES = (
    Service("yl_monitor", "yl-monitor", "monitor.yaml", "yl-monitor"),
    Service("ar_backend", "ar-backend", "backend.yaml", "ar-backend"),
    Service("user_gui", "user-gui", "user_gui.yaml", "ar-studio"),
)
DEFAULT_PORTS = {
    "yl-monitor": (5500, "/api/health"),
    "ar-backend": (5501, "/health"),
    "user-gui": (5502, "/health"),
}


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(200 <= answer.status < 300)
    except (OSError, urllib.error.URLError, ValueError):
        return False


def port_taken(host: str, port: int) -> bool:
    """Whether something answers on host:port (a connection, as a client would make)."""
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) == 0


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def rotate(log: Path) -> None:
    """Keep the logs small: over 10 MB, NAME.log becomes NAME.log.1 (three kept)."""
    if not log.exists() or log.stat().st_size <= LOG_MAX:
        return
    for i in range(LOG_KEEP - 1, 0, -1):
        older = log.with_name(f"{log.name}.{i}")
        if older.exists():
            older.replace(log.with_name(f"{log.name}.{i + 1}"))
    log.replace(log.with_name(f"{log.name}.1"))


class Launcher:
    def __init__(self, places: Places, gui: bool = True) -> None:
        self.places = places
        self.gui = gui

    # ---- where things are ------------------------------------------------------------

    def _show(self, path: Path) -> str:
        """A path as the user reads it: relative in a checkout (``logs/x.log``)."""
        if self.places.checkout:
            try:
                return str(path.relative_to(self.places.home))
            except ValueError:
                pass
        return str(path)

    def config_file(self, service: Service) -> Path:
        return self.places.config_file(service.config)

    def endpoint(self, service: Service) -> tuple[str, int, str]:
        """(host, port, health path) from services.yaml, else the shipped defaults."""
        port, path = DEFAULT_PORTS[service.key]
        try:
            entry: ServiceEntry | None = load_services(
                self.places.config_file("services.yaml")
            ).services.get(service.key)
        except ConfigError:
            entry = None
        if entry is None:
            return "127.0.0.1", port, path
        return entry.host, entry.port, entry.health_endpoint

    def pidfile(self, service: Service) -> Path:
        return self.places.run_dir / f"{service.module}.pid"

    def logfile(self, service: Service) -> Path:
        return self.places.log_dir / f"{service.module}.log"

    def pid(self, service: Service) -> int | None:
        """The service's pid when it is running (its pid file names a live process)."""
        try:
            pid = int(self.pidfile(service).read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if alive(pid) else None

    def health_url(self, service: Service) -> str:
        host, port, path = self.endpoint(service)
        return f"http://{host}:{port}{path}"

    # ---- commands ----------------------------------------------------------------------

    def start(self) -> int:
        for folder in (self.places.log_dir, self.places.run_dir, self.places.home):
            folder.mkdir(parents=True, exist_ok=True)
        self.fetch_face_models()
        for service in SERVICES:
            if service.module == "user_gui":
                if not self.gui:
                    continue
                if not has_display():
                    self._no_display()
                    continue
            if not self._start_one(service):
                self.stop()
                return 1
        _, monitor_port, _ = self.endpoint(SERVICES[0])
        _, backend_port, _ = self.endpoint(SERVICES[1])
        print(f"dashboard: http://127.0.0.1:{monitor_port}/")
        print(f"preview:   http://127.0.0.1:{backend_port}/video_feed")
        return 0

    def weights(self, *argv: str) -> subprocess.CompletedProcess[str]:
        """``python -m ar_backend.weights --config <backend.yaml> ARGV`` in the app's folder
        (a process of its own: this launcher imports none of the studio's)."""
        config = self._show(self.config_file(SERVICES[1]))
        return subprocess.run(
            [sys.executable, "-m", "ar_backend.weights", "--config", config, *argv],
            cwd=self.places.home,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )

    def fetch_face_models(self) -> None:
        """MediaPipe's models on the first start; never fatal: without them (no network)
        the face swap runs on dlib's detector, and the line says how to fetch them later."""
        if self.weights("verify", *FACE_MODELS).returncode == 0:
            return
        print("fetching MediaPipe's face models through pip (first run, a few MB)")
        fetched = self.weights("fetch", *FACE_MODELS)
        if fetched.returncode != 0:
            said = [ln.strip() for ln in fetched.stderr.splitlines() if ln.strip()]
            errors = [ln[7:] for ln in said if ln[:7] == "error: "]
            # its output was captured: the reason is given here, never "see above"
            reason = errors[0] if errors else (said[-1] if said else f"exit {fetched.returncode}")
            again = (
                ".venv/bin/python -m ar_backend.weights" if self.places.checkout else "ar-weights"
            )
            print(
                f"MediaPipe's face models were not fetched ({reason}); the face swap runs on "
                f"dlib's detector. Fetch them later: {again} fetch {' '.join(FACE_MODELS)}",
                file=sys.stderr,
            )

    def _no_display(self) -> None:
        if self.places.checkout:
            again, window = "./start_all.sh start", ".venv/bin/python -m user_gui"
        else:
            again, window = "ar-live-studio start", "ar-studio"
        print(
            "user_gui   not started: no display here (DISPLAY is not set). In a desktop session run"
        )
        print(f"           {again}, or {window}; headless: xvfb-run {window}")

    def _start_one(self, service: Service) -> bool:
        name = service.module
        running = self.pid(service)
        if running is not None:
            print(f"{name} already running (pid {running})")
            return True
        host, port, _ = self.endpoint(service)
        if port_taken(host, port):
            holder = port_holder(port)
            who = f" by {holder}" if holder else ""
            print(
                f"{name} not started: port {port} is already in use{who}; stop it or change "
                f"the port in {self._show(self.config_file(service))}",
                file=sys.stderr,
            )
            return False
        log = self.logfile(service)
        rotate(log)
        config = self._show(self.config_file(service))
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", name, "--config", config],
                cwd=self.places.home,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # it outlives this command and the terminal
            )
        self.pidfile(service).write_text(f"{proc.pid}\n")
        deadline = time.monotonic() + START_WAIT
        while time.monotonic() < deadline:
            if healthy(self.health_url(service)):
                print(f"{name}  http://127.0.0.1:{port}/  (pid {proc.pid}, log {self._show(log)})")
                return True
            if proc.poll() is not None:
                print(f"{name} failed to start; last lines of {self._show(log)}:", file=sys.stderr)
                lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
                print("\n".join(lines[-20:]), file=sys.stderr)
                self.pidfile(service).unlink(missing_ok=True)
                return False
            time.sleep(0.2)
        print(
            f"{name} did not answer on port {port} within {START_WAIT:.0f} s "
            f"(see {self._show(log)})",
            file=sys.stderr,
        )
        return False

    def stop(self) -> int:
        for service in reversed(SERVICES):
            self._stop_one(service)
        return 0

    def _stop_one(self, service: Service) -> None:
        name, pidfile = service.module, self.pidfile(service)
        pid = self.pid(service)
        if pid is None:
            print(f"{name} not running")
            pidfile.unlink(missing_ok=True)
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_WAIT
        while alive(pid) and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.2)
        if alive(pid):
            print(f"{name} did not stop in {STOP_WAIT:.0f} s; killing")
            os.kill(pid, signal.SIGKILL)
        pidfile.unlink(missing_ok=True)
        print(f"{name} stopped")

    def status(self) -> int:
        print(f"{'SERVICE':<12} {'STATE':<8} {'PID':<8} {'PORT':<6} HEALTH")
        for service in SERVICES:
            pid = self.pid(service)
            _, port, _ = self.endpoint(service)
            state, health = ("running", "healthy") if pid else ("stopped", "-")
            if pid and not healthy(self.health_url(service)):
                health = "not answering"
            print(f"{service.module:<12} {state:<8} {pid or '-'!s:<8} {port:<6} {health}")
        return 0

    def logs(self) -> int:
        files = [str(self.logfile(s)) for s in SERVICES]
        for path in files:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).touch()
        os.execvp("tail", ["tail", "-n", "50", "-f", *files])
        return 0  # not reached

    def paths(self) -> int:
        where = "a checkout" if self.places.checkout else "installed"
        print(f"running from {where}")
        print(f"config files: {self.places.config_dir}")
        print(f"app folder:   {self.places.home} (data/, models/, recordings/, media/, outputs/)")
        print(f"logs:         {self.places.log_dir}")
        print(f"pid files:    {self.places.run_dir}")
        return 0


def _reap(pid: int) -> None:
    """Collect the exit status of a service this very process started (restart), so it
    does not linger as a zombie that still looks alive."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
