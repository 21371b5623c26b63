"""Screenshot of the studio window on a real X server (Xvfb in CI), with a live preview.

    DISPLAY=:99 .venv/bin/python -m scripts.gui_screenshot OUT.png [--lang zh_CN] [--trouble]

Starts the monitor and the backend (demo source) on free ports, opens the window against
them (it sizes itself to the screen: run Xvfb at the size to look at, e.g.
``xvfb-run -s "-screen 0 1024x640x24"``), starts the camera from the window, waits for the
preview, saves the window as PNG, and stops everything. ``--trouble`` also turns on the
virtual camera and the voice (neither has a device under Xvfb: their fixes show) and records,
scrolled down to the Output panel.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from tests.procs import ServiceProcess


def main(out: str, lang: str = "en", trouble: bool = False) -> int:
    import faulthandler

    faulthandler.dump_traceback_later(120, exit=True)  # never hang a CI run
    from PyQt5.QtCore import QEventLoop, QSettings
    from PyQt5.QtWidgets import QApplication

    from user_gui.app import i18n
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
    # a first start: no size, splitter or folder remembered from an earlier run
    QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope, str(tmp / "settings"))
    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    i18n.set_language(lang)
    reporter = StatusReporter(MonitorSection(url=mon.url, node_id="screenshot"))
    server = LocalHTTPServer(reporter, port=0)
    server.start()
    win = MainWindow(ARBackendClient(be.url), MonitorClient(mon.url), reporter, server.url, 0.5)
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
        if trouble:  # one after the other: a toggle waits while another call runs
            for button in (win.output_panel.record, win.output_panel.vcam):
                button.click()
                for _ in range(40):
                    app.processEvents(QEventLoop.AllEvents, 50)
                    time.sleep(0.02)
            win.voice_panel.audio_start.click()
        for _ in range(150 if trouble else 50):  # more frames and a refresh of the panels
            app.processEvents(QEventLoop.AllEvents, 50)
            time.sleep(0.02)
        if trouble:
            win.controls.ensureWidgetVisible(win.output_panel.vcam_fix)
            for _ in range(10):
                app.processEvents(QEventLoop.AllEvents, 50)
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
    import argparse

    parser = argparse.ArgumentParser(prog="python -m scripts.gui_screenshot")
    parser.add_argument("out", nargs="?", default="user_gui.png")
    parser.add_argument("--lang", default="en", choices=["en", "zh_CN"])
    parser.add_argument("--trouble", action="store_true", help="show the fixes and REC too")
    args = parser.parse_args()
    sys.exit(main(args.out, args.lang, args.trouble))
