"""start_all.sh's host checks (scripts/host_checks.sh) and who a busy port is blamed on
(the launcher it runs, and the services themselves).

Fast: no service is started. The library checks run under ``set -euo pipefail`` against a
fake ``ldconfig`` whose listing is long, as start_all.sh runs them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from ar_live_studio.launcher import Launcher
from shared.places import Places
from shared.ports import PortInUse, ensure_port_free, free_port, port_holder
from tests.procs import ROOT

LIB = ROOT / "scripts" / "host_checks.sh"
QT_LIBS = ("libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-xinerama.so.0")
PORTAUDIO = "libportaudio.so.2"
# The check as it was: under pipefail, grep's early exit kills ldconfig with SIGPIPE
OLD_CHECK = "ldconfig -p 2>/dev/null | grep -q libportaudio"


@pytest.fixture
def fake_ldconfig(tmp_path: Path) -> Path:
    """A folder holding an ``ldconfig`` that lists $FAKE_LIBS first, then 350 kB of others
    (a real cache is 50-100 kB, and what is looked for may come anywhere in it)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "ldconfig"
    script.write_text(
        textwrap.dedent(
            """\
            #!/bin/sh
            echo "5002 libs found in cache \\`/etc/ld.so.cache'"
            for lib in $FAKE_LIBS; do
              printf '\\t%s (libc6,x86-64) => /lib/x86_64-linux-gnu/%s\\n' "$lib" "$lib"
            done
            yes '	libfiller.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libfiller.so.1' \\
              | head -n 5000
            """
        )
    )
    script.chmod(0o755)
    return folder


def bash(script: str, path_first: Path | None = None, libs: tuple[str, ...] = ()) -> str:
    """Run ``script`` with the library sourced, as start_all.sh does (strict mode)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    if path_first is not None:
        env["PATH"] = f"{path_first}{os.pathsep}{env.get('PATH', '')}"
    env["FAKE_LIBS"] = " ".join(libs)
    result = subprocess.run(
        ["bash", "-c", f"set -euo pipefail\n. {LIB}\n{script}"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_fake_ldconfig_shows_the_old_flaw(fake_ldconfig: Path) -> None:
    """The old pipe reports a library that is there as missing: this fake catches it."""
    out = bash(
        f"fails=0; for i in $(seq 5); do {OLD_CHECK} || fails=$((fails + 1)); done; echo $fails",
        fake_ldconfig,
        (PORTAUDIO,),
    )
    assert int(out) > 0


def test_no_false_missing_library_notes(fake_ldconfig: Path) -> None:
    """Present libraries are never reported missing, however often the check runs (25 runs
    of four libraries: the old pipe fails within five runs of one, as the test above shows)."""
    out = bash(
        "for i in $(seq 25); do check_system_libs 1; done; echo done",
        fake_ldconfig,
        (PORTAUDIO, *QT_LIBS),
    )
    assert out == "done\n"


def test_missing_libraries_are_named(fake_ldconfig: Path) -> None:
    out = bash("check_system_libs 1", fake_ldconfig, (QT_LIBS[0],))
    assert "PortAudio is missing" in out and "libportaudio2" in out
    assert "Qt needs libxcb-keysyms.so.1 libxcb-xinerama.so.0 for the window" in out
    # without the window, only PortAudio is checked
    assert bash("check_system_libs 0", fake_ldconfig, ()).count("note:") == 1


def test_start_all_uses_the_library() -> None:
    text = (ROOT / "start_all.sh").read_text()
    assert ". scripts/host_checks.sh" in text
    assert "| grep -q" not in text


# ---- a port held by a pre-forked server --------------------------------------------------

PREFORK = """
import os, socket, sys, time
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", int(sys.argv[1])))
sock.listen()
parent = os.getpid()
for _ in range(3):  # workers sharing the listening socket, as shared.wsgi forks them
    if os.fork() == 0:
        while os.getppid() == parent:
            time.sleep(0.05)
        os._exit(0)
print(parent, flush=True)
time.sleep(60)
"""


@pytest.fixture
def preforked() -> Iterator[tuple[int, int]]:
    """(port, supervisor pid) of a process whose three forked workers share its socket."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", PREFORK, str(port)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        pid = int(proc.stdout.readline())
        assert pid == proc.pid
        yield port, pid
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


def test_start_all_names_the_supervisor(
    preforked: tuple[int, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """start_all.sh's launcher refuses a held port and names the process to stop: the
    supervisor of a pre-forked server, not one of its workers."""
    port, pid = preforked
    services = yaml.safe_load((ROOT / "config" / "services.yaml").read_text())
    services["services"]["yl-monitor"]["port"] = port
    (tmp_path / "services.yaml").write_text(yaml.safe_dump(services))
    places = Places(True, tmp_path, tmp_path, tmp_path / "logs", tmp_path / "run", tmp_path)
    assert Launcher(places, gui=False).start() == 1
    said = capsys.readouterr().err
    assert f"yl_monitor not started: port {port} is already in use by python" in said, said
    assert f"(pid {pid})" in said and "change the port in" in said
    assert not (tmp_path / "run" / "yl_monitor.pid").exists()  # nothing was started


def test_the_services_name_the_supervisor(preforked: tuple[int, int]) -> None:
    port, pid = preforked
    holder = port_holder(port)
    assert holder is not None and f"(pid {pid})" in holder, holder
    with pytest.raises(PortInUse) as err:
        ensure_port_free("127.0.0.1", port)
    assert f"port {port} on 127.0.0.1 is already in use by " in str(err.value)
    assert f"(pid {pid})" in str(err.value)
