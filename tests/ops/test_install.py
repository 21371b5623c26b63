"""Production files: the systemd units verify, the install script's plan, start_all.sh."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import requests

from tests.conftest import require_or_skip
from tests.procs import ROOT

pytestmark = pytest.mark.slow

SYSTEM_UNITS = ("yl-monitor", "ar-backend")


def installed_commands(tmp_path: Path) -> Path:
    """A folder holding the installed commands the units run (as pip puts them in a venv's
    bin/); systemd-analyze checks that each ExecStart is an executable file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for command in ("yl-monitor", "ar-backend", "ar-studio"):
        (bin_dir / command).write_text("#!/bin/sh\n")
        (bin_dir / command).chmod(0o755)
    return bin_dir


def render(tmp_path: Path, name: str) -> Path:
    text = (ROOT / "config" / "systemd" / f"{name}.service.in").read_text()
    out = tmp_path / f"{name}.service"
    bin_dir = installed_commands(tmp_path)
    out.write_text(
        text.replace("@DIR@", str(ROOT))
        .replace("@USER@", getpass.getuser())
        .replace("@BIN@", str(bin_dir))
    )
    return out


def verify(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    if not shutil.which("systemd-analyze"):
        require_or_skip("systemd-analyze is not installed (Debian's systemd package)")
    return subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_units_verify(tmp_path: Path) -> None:
    units = [render(tmp_path, n) for n in SYSTEM_UNITS]
    result = verify(*map(str, units))
    # systemd-analyze exits 0 on some problems (it "ignores" a bad line): no output at all
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    text = units[1].read_text()
    for line in (
        "Type=notify",
        "WatchdogSec=",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "SupplementaryGroups=video audio",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
        "Restart=on-failure",
        f"ExecStart={tmp_path}/bin/ar-backend --config {ROOT}/config/backend.yaml",
        f"Environment=AR_LIVE_STUDIO_HOME={ROOT}",
    ):
        assert line in text
    xdg = tmp_path / "xdg"
    xdg.mkdir(mode=0o700)
    user = verify("--user", str(render(tmp_path, "ar-user-gui")), env={"XDG_RUNTIME_DIR": str(xdg)})
    assert user.returncode == 0 and not user.stderr.strip(), user.stderr


def test_a_broken_unit_is_caught(tmp_path: Path) -> None:
    unit = render(tmp_path, "yl-monitor")
    unit.write_text(unit.read_text().replace("Type=notify", "Type=notifyy"))
    result = verify(str(unit))
    assert "Failed to parse service type" in result.stderr


def test_install_dry_run_prints_the_plan_and_does_nothing() -> None:
    script = ROOT / "scripts" / "install-service.sh"
    out = subprocess.run(
        [str(script), "--dry-run", "--user", "arlive-test", "--dir", "/opt/arls-test"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    for expected in (
        "would: useradd --system --home-dir /opt/arls-test",
        "would: usermod -a -G video,audio arlive-test",
        "would: python3 -m venv /opt/arls-test/.venv",
        "would: /opt/arls-test/.venv/bin/python -m pip install -q --require-hashes -r "
        "/opt/arls-test/requirements.lock",
        "would: /opt/arls-test/.venv/bin/python -m pip install -q --no-deps /opt/arls-test",
        "(dir=/opt/arls-test, user=arlive-test, bin=/opt/arls-test/.venv/bin)",
        "-> /etc/systemd/system/yl-monitor.service (dir=/opt/arls-test, user=arlive-test",
        "-> /etc/systemd/system/ar-backend.service",
        "would: systemctl enable --now yl-monitor.service",
        "would: systemctl enable --now ar-backend.service",
        "would: wait for http://127.0.0.1:5500/api/health",
    ):
        assert expected in out, out
    assert not Path("/opt/arls-test").exists()
    undo = subprocess.run(
        [
            str(script),
            "--dry-run",
            "--uninstall",
            "--user",
            "arlive-test",
            "--dir",
            "/opt/arls-test",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "would: systemctl disable --now ar-backend.service" in undo
    assert "would: rm -rf /opt/arls-test /etc/ar-live-studio" in undo
    assert "would: userdel arlive-test" in undo


def test_install_with_commands_installed_elsewhere(tmp_path: Path) -> None:
    """--bin: the units run the commands already there (pipx install --global .); no venv."""
    bin_dir = installed_commands(tmp_path)
    out = subprocess.run(
        [str(ROOT / "scripts" / "install-service.sh"), "--dry-run", "--bin", str(bin_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "-m venv" not in out and "pip install" not in out
    unit = "-> /etc/systemd/system/ar-backend.service"
    assert f"{unit} (dir=/opt/ar-live-studio, user=arlive, bin={bin_dir})" in out


def ports_free(*ports: int) -> bool:
    for port in ports:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return False
    return True


def start_all(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return subprocess.run(
        [str(ROOT / "start_all.sh"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )


def test_start_all_start_status_stop() -> None:
    if not ports_free(5500, 5501, 5502):
        require_or_skip("ports 5500-5502 are in use on this machine")
    started = start_all("start")  # no display here: the services start, the window says how
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert "user_gui   not started: no display here" in started.stdout
        assert "xvfb-run" in started.stdout
        assert requests.get("http://127.0.0.1:5500/api/health", timeout=5).ok
        assert requests.get("http://127.0.0.1:5501/health", timeout=5).ok
        status = start_all("status").stdout
        rows = {line.split()[0]: line.split() for line in status.splitlines()[1:]}
        assert rows["yl_monitor"][1:] == ["running", rows["yl_monitor"][2], "5500", "healthy"]
        assert rows["ar_backend"][1] == "running" and rows["ar_backend"][-1] == "healthy"
        assert rows["user_gui"][1] == "stopped"
    finally:
        stopped = start_all("stop")
    assert stopped.returncode == 0
    assert ports_free(5500, 5501, 5502)
    leftovers = subprocess.run(
        ["pgrep", "-f", "python -m (yl_monitor|ar_backend|user_gui) --config config/"],
        capture_output=True,
        text=True,
    ).stdout
    assert leftovers == "", leftovers


def test_start_all_refuses_a_held_port() -> None:
    if not ports_free(5500, 5501):
        require_or_skip("ports 5500/5501 are in use on this machine")
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", 5500))
        holder.listen()
        result = start_all("start", "--no-gui")
        assert result.returncode != 0
        assert "port 5500" in result.stdout + result.stderr
        assert "in use" in result.stdout + result.stderr
    assert ports_free(5501)  # nothing else was started
    start_all("stop")
