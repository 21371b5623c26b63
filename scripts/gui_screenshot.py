"""Screenshot of the studio window on a real X server (Xvfb in CI), with a live preview.

    DISPLAY=:99 .venv/bin/python -m scripts.gui_screenshot OUT.png

Starts the monitor and the backend (demo source) on free ports, opens the window against
them, starts the camera from the window, waits for the preview, saves the window as PNG, and
stops everything.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from tests.procs import ServiceProcess


def main(out: str) -> int:
    import faulthandler

    faulthandler.dump_traceback_later(120, exit=True)  # never hang a CI run
    from PyQt5.QtCore import QEventLoop
    from PyQt5.QtWidgets import QApplication

    from user_gui.app.main_window import MainWindow
    from user_gui.config import MonitorSection
    from user_gui.services.clients import ARBackendClient, MonitorClient
    from user_gui.services.local_server import LocalHTTPServer
    from user_gui.services.reporter import StatusReporter

    tmp = Path(tempfile.mkdtemp(prefix="gui-shot-"))
    (tmp / "backend.yaml").write_text("monitor: {enabled: false}\n")
    mon = ServiceProcess(
        "yl_monitor", ["--db", f"sqlite:///{tmp / 'm.db'}", "--no-checks"], log_path=tmp / "mon.log"
    ).start()
    be = ServiceProcess(
        "ar_backend",
        ["--config", str(tmp / "backend.yaml"), "--no-autostart"],
        health_path="/health",
        log_path=tmp / "be.log",
    ).start()
    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    reporter = StatusReporter(MonitorSection(url=mon.url, node_id="screenshot"))
    server = LocalHTTPServer(reporter, port=0)
    server.start()
    win = MainWindow(ARBackendClient(be.url), MonitorClient(mon.url), reporter, server.url, 0.5)
    win.resize(1200, 700)
    win.show()
    reporter.start()
    try:
        deadline = time.monotonic() + 30
        started = False
        while time.monotonic() < deadline:
            app.processEvents(QEventLoop.AllEvents, 50)  # returns even while frames pour in
            if not started and win.camera_panel.start_button.isEnabled():
                win.camera_panel.source.setCurrentText("demo")
                win.camera_panel.start_button.click()
                started = True
            if win.last_image is not None and time.monotonic() > deadline - 25:
                break
            time.sleep(0.02)
        for _ in range(50):  # a few more frames and a refresh of the panels
            app.processEvents(QEventLoop.AllEvents, 50)
            time.sleep(0.02)
        ok = win.grab().save(out)
        print(f"screenshot {'saved to ' + out if ok else 'FAILED'}")
        return 0 if ok and win.last_image is not None else 1
    finally:
        win.close()
        reporter.stop()
        server.stop()
        be.stop()
        mon.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "user_gui.png"))
