"""The release check: the sdist and the wheel build, the wheel installs into a fresh venv
from the lock (hash-checked, no checkout in sight), and its commands run the app from the
user's standard folders: the monitor and the backend on free ports answer /api/health and
/health and talk to each other; ar-live-studio starts, shows and stops them.

Its cost is the fresh venv (every runtime wheel, from pip's cache after the first run):
``RELEASE_CHECK_KEEP=DIR`` keeps the venv in DIR to look at afterwards.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml

from shared.ports import free_port
from tests.procs import ROOT, ServiceProcess, wait_for

pytestmark = pytest.mark.slow

COMMANDS = ("ar-live-studio", "yl-monitor", "ar-backend", "ar-studio", "ar-jobs", "ar-weights")


def run(*argv: str | Path, timeout: float = 900, **kw: object) -> str:
    result = subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, timeout=timeout, **kw
    )  # type: ignore[call-overload]
    assert result.returncode == 0, f"{argv}: {result.stdout}\n{result.stderr}"
    return str(result.stdout)


def source_tree(dest: Path) -> Path:
    """The checkout's files (tracked, and new ones git does not ignore), without its venv,
    data or build by-products, so the build leaves nothing in the checkout."""
    listed = run("git", "-C", ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            (dest / name).write_bytes(src.read_bytes())
    return dest


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Build the sdist and the wheel, install the wheel into a fresh venv from the lock."""
    work = tmp_path_factory.mktemp("release")
    src = source_tree(work / "src")
    dist = work / "dist"
    started = time.monotonic()
    # sdist first, then the wheel from the sdist (so a file the sdist lacks fails here);
    # no isolation: setuptools and wheel come from the dev lock, hash-checked
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, src)
    built = time.monotonic()
    (wheel,) = dist.glob("ar_live_studio-*.whl")
    assert list(dist.glob("ar_live_studio-*.tar.gz"))
    keep = os.environ.get("RELEASE_CHECK_KEEP")
    venv = Path(keep) if keep else work / "venv"
    run(sys.executable, "-m", "venv", "--clear", venv)
    wanted = work / "install.txt"  # the lock, and the wheel by its own hash
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    wanted.write_text(
        f"-r {ROOT / 'requirements.lock'}\n"
        f"ar-live-studio @ {wheel.as_uri()} --hash=sha256:{digest}\n"
    )
    pip = [venv / "bin" / "python", "-m", "pip", "--disable-pip-version-check"]
    run(*pip, "install", "-q", "--require-hashes", "-r", wanted)
    installed = time.monotonic()
    print(
        f"\nrelease check: build {built - started:.0f} s, fresh venv from the lock "
        f"{installed - built:.0f} s"
    )
    run(*pip, "check")
    yield {"venv": venv, "wheel": wheel, "sdist": next(dist.glob("*.tar.gz")), "work": work}


@pytest.fixture
def user(tmp_path: Path) -> dict[str, str]:
    """A user with an empty home and no XDG variables, working in a folder of their own."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "AR_LIVE_STUDIO"))}
    # pip's cache stays the machine's (the first start fetches MediaPipe's wheel through pip)
    cache = os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")
    env.update(HOME=str(home), PYTHONUNBUFFERED="1", PIP_CACHE_DIR=cache)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def test_the_wheel_carries_what_the_app_reads(release: dict[str, Path]) -> None:
    import zipfile

    names = set(zipfile.ZipFile(release["wheel"]).namelist())
    for needed in (
        "shared/defaults/backend.yaml",
        "shared/defaults/monitor.yaml",
        "shared/defaults/services.yaml",
        "shared/defaults/user_gui.yaml",
        "shared/defaults/models.yaml",
        "shared/openapi_page.html",
        "shared/setup_virtual_camera.sh",  # the virtual camera's fix names it when installed
        "yl_monitor/templates/dashboard.html",
        "yl_monitor/static/dashboard.js",
        "user_gui/app/i18n_zh.py",
        "ar_live_studio/launcher.py",
    ):
        assert needed in names, needed
    assert not any(n.startswith(("tests/", "benchmarks/", "scripts/")) for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(release["wheel"]).read(entry_points).decode()
    for command in COMMANDS:
        assert f"{command} = " in text


def test_the_commands_run_without_a_checkout(
    release: dict[str, Path], user: dict[str, str], tmp_path: Path
) -> None:
    bin_dir, elsewhere = release["venv"] / "bin", tmp_path / "elsewhere"
    elsewhere.mkdir()
    for command in COMMANDS:
        assert (bin_dir / command).is_file(), command
    paths = run(bin_dir / "ar-live-studio", "paths", env=user, cwd=elsewhere)
    home = Path(user["HOME"])
    assert "running from installed" in paths
    assert f"config files: {home}/.config/ar-live-studio" in paths
    assert f"app folder:   {home}/.local/share/ar-live-studio" in paths
    assert f"logs:         {home}/.local/state/ar-live-studio/logs" in paths
    # the model manifest ships inside the package; the models folder is the user's
    listing = run(bin_dir / "ar-weights", "list", env=user, cwd=elsewhere)
    assert "inswapper_128" in listing and "missing" in listing
    assert "ar_backend" in run(bin_dir / "ar-backend", "--version", env=user, cwd=elsewhere)
    assert "user_gui" in run(bin_dir / "ar-studio", "--version", env=user, cwd=elsewhere)
    assert "swap" in run(bin_dir / "ar-jobs", "--help", env=user, cwd=elsewhere)


def test_monitor_and_backend_from_the_installed_commands(
    release: dict[str, Path], user: dict[str, str], tmp_path: Path
) -> None:
    bin_dir, elsewhere = release["venv"] / "bin", tmp_path / "elsewhere"
    elsewhere.mkdir()
    monitor = ServiceProcess(
        "yl_monitor",
        ["--no-checks", "--workers", "1"],
        command=[str(bin_dir / "yl-monitor")],
        cwd=elsewhere,
        log_path=tmp_path / "monitor.log",
    )
    monitor.env = user  # this user's environment only (no XDG_* of the test machine)
    backend = ServiceProcess(
        "ar_backend",
        ["--no-autostart", "--monitor-url", monitor.url],
        command=[str(bin_dir / "ar-backend")],
        cwd=elsewhere,
        health_path="/health",
        log_path=tmp_path / "backend.log",
    )
    backend.env = user | {"AR_BACKEND__MONITOR__REPORT_INTERVAL": "1"}
    try:
        monitor.start(timeout=90)
        backend.start(timeout=120)
        assert requests.get(monitor.url + "/api/health", timeout=5).json()["status"] == "healthy"
        assert requests.get(backend.url + "/health", timeout=5).json()["status"] == "healthy"
        page = requests.get(monitor.url + "/", timeout=5)  # the templates and static files
        assert page.ok and "<html" in page.text.lower()
        assert requests.get(monitor.url + "/docs", timeout=5).ok
        wait_for(
            lambda: any(
                n["node_id"] == "ar-backend"
                for n in requests.get(monitor.url + "/api/ar/nodes", timeout=5).json()["nodes"]
            ),
            timeout=60,
        )
    finally:
        backend.stop()
        monitor.stop()
    home = Path(user["HOME"])
    config = home / ".config" / "ar-live-studio"
    assert sorted(p.name for p in config.iterdir()) == [
        "backend.yaml",
        "monitor.yaml",
        "services.yaml",
        "user_gui.yaml",
    ]
    assert (home / ".local/share/ar-live-studio/data/yl_monitor.db").is_file()
    assert list(elsewhere.iterdir()) == []  # nothing written where the user stood


def test_ar_live_studio_starts_shows_and_stops_them(
    release: dict[str, Path], user: dict[str, str], tmp_path: Path
) -> None:
    bin_dir = release["venv"] / "bin"
    command = bin_dir / "ar-live-studio"
    config = Path(user["HOME"]) / ".config" / "ar-live-studio"
    # the user's own ports, as a user edits them: services.yaml and each service's file
    ports = {"yl-monitor": free_port(), "ar-backend": free_port(), "user-gui": free_port()}
    services = yaml.safe_load((ROOT / "config" / "services.yaml").read_text())
    for key, port in ports.items():
        services["services"][key]["port"] = port
    config.mkdir(parents=True, exist_ok=True)
    (config / "services.yaml").write_text(yaml.safe_dump(services))
    (config / "monitor.yaml").write_text(
        yaml.safe_dump({"server": {"port": ports["yl-monitor"], "workers": 1}})
    )
    (config / "backend.yaml").write_text(
        yaml.safe_dump(
            {
                "server": {"port": ports["ar-backend"]},
                "camera": {"source": "demo"},
                "monitor": {"url": f"http://127.0.0.1:{ports['yl-monitor']}"},
            }
        )
    )
    try:
        started = subprocess.run(
            [str(command), "start"], capture_output=True, text=True, env=user, timeout=300
        )
        assert started.returncode == 0, started.stdout + started.stderr
        assert "user_gui   not started: no display here" in started.stdout
        assert "xvfb-run ar-studio" in started.stdout
        assert f"dashboard: http://127.0.0.1:{ports['yl-monitor']}/" in started.stdout
        status = run(command, "status", env=user)
        rows = {line.split()[0]: line.split() for line in status.splitlines()[1:]}
        assert rows["yl_monitor"][1] == "running" and rows["yl_monitor"][-1] == "healthy"
        assert rows["ar_backend"][1] == "running" and rows["ar_backend"][-1] == "healthy"
        assert rows["user_gui"][1] == "stopped"
        logs = Path(user["HOME"]) / ".local/state/ar-live-studio/logs"
        assert (logs / "ar_backend.log").stat().st_size > 0
    finally:
        stopped = run(command, "stop", env=user)
    assert "ar_backend stopped" in stopped and "yl_monitor stopped" in stopped
    for port in ports.values():
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)
