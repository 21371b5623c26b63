"""The window on a real X server (Xvfb): a screenshot with a live preview, kept as an artifact."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.conftest import require_or_skip
from tests.procs import ROOT

pytestmark = pytest.mark.slow


def test_window_under_xvfb_shows_the_live_preview() -> None:
    if not shutil.which("xvfb-run"):
        require_or_skip("xvfb-run is not installed (Debian's xvfb)")
    out = ROOT / "artifacts" / "user_gui.png"
    out.parent.mkdir(exist_ok=True)
    out.unlink(missing_ok=True)
    env = {k: v for k, v in __import__("os").environ.items() if k != "QT_QPA_PLATFORM"}
    result = subprocess.run(
        [
            "xvfb-run",
            "-a",
            "-s",
            "-screen 0 1280x800x24",
            sys.executable,
            "-m",
            "scripts.gui_screenshot",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert out.stat().st_size > 50_000  # a real picture, not an empty window
