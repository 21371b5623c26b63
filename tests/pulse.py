"""A real PulseAudio server with a null sink for the tests that need a sound device (there is
no sound card here): the voice stream's, and the window's test tone."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from tests.conftest import require_or_skip
from tests.procs import wait_for


def pactl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=20)


@contextmanager
def null_sink(name: str, default_sink: bool = False) -> Iterator[str]:
    """A PulseAudio server (started here when none runs, stopped after) with a null sink
    ``name``; its monitor is the default input (and the sink the default output when
    ``default_sink``)."""
    if not (shutil.which("pulseaudio") and shutil.which("pactl")):
        require_or_skip("no PulseAudio here (apt-get install pulseaudio pulseaudio-utils)")
    started = False
    if pactl("info").returncode != 0:
        subprocess.run(["pulseaudio", "-D", "--exit-idle-time=-1"], capture_output=True, timeout=30)
        started = True
        wait_for(lambda: pactl("info").returncode == 0, timeout=10)
    module = pactl("load-module", "module-null-sink", f"sink_name={name}").stdout.strip()
    pactl("set-default-source", f"{name}.monitor")
    if default_sink:
        pactl("set-default-sink", name)
    try:
        yield name
    finally:
        if module:
            pactl("unload-module", module)
        if started:
            subprocess.run(["pulseaudio", "-k"], capture_output=True, timeout=20)
