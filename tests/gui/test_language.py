"""The window in the person's language (issue 25, item 14): ``--lang``, and the services' texts
rendered from their message key and parameters (shared/messages.py) in Chinese, the English
they sent when a key is not known here."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

pytest.importorskip("PyQt5")

from shared.messages import CATALOGUE, msg, placeholders
from shared.ports import free_port
from tests.procs import ROOT, wait_for
from user_gui.app import i18n
from user_gui.app.i18n_zh import MESSAGES


def test_every_message_key_has_chinese_with_the_same_parameters() -> None:
    missing = sorted(set(CATALOGUE) - set(MESSAGES))
    assert missing == [], "add these to MESSAGES in user_gui/app/i18n_zh.py:\n" + "\n".join(
        f"{key}: {CATALOGUE[key]}" for key in missing
    )
    stale = sorted(set(MESSAGES) - set(CATALOGUE))
    assert stale == [], f"keys shared/messages.py no longer has: {stale}"
    wrong = {k: v for k, v in MESSAGES.items() if placeholders(v) != placeholders(CATALOGUE[k])}
    assert wrong == {}


def test_a_message_is_rendered_in_the_language_of_the_window() -> None:
    sent = msg("vcam.stopped", detail="busy").fields("error")  # as a service sends a field
    assert i18n.field_message(sent, "error") == "The virtual camera stopped: busy"
    i18n.set_language("zh_CN")
    assert i18n.field_message(sent, "error") == "虚拟摄像头已停止：busy"  # noqa: RUF001
    # a key this window does not know, or parameters that do not fit: the English sent
    assert i18n.message("English words", "some.new_key", {"x": 1}) == "English words"
    assert i18n.message("English words", "vcam.stopped", {"wrong": 1}) == "English words"
    assert i18n.message("English words") == "English words"
    assert i18n.field_message({"error": None}, "error") == ""


def test_the_quality_line_under_the_preview_is_in_the_window_language() -> None:
    """The governor's line ("holding 30 fps: ...") from the real knobs' levels: English as
    the backend says it, Chinese from the levels' keys in a Chinese window."""
    from ar_backend.frames import LatestSlot
    from ar_backend.governor import Governor
    from ar_backend.outputs.jpeg import JpegCache
    from user_gui.app.main_window import governor_line

    preview = JpegCache(LatestSlot()).knob()
    preview.set_level(1)
    governor = Governor([preview])
    governor.observe(busy_ms=5.0, behind=0, target_fps=30.0)  # a 30 fps source, room to spare
    status = governor.status()
    assert governor_line(status) == status.summary == "holding 30 fps: preview quality 60"
    i18n.set_language("zh_CN")
    assert governor_line(status) == "保持 30 fps：预览画质 60"  # noqa: RUF001


def test_a_backend_error_reads_in_chinese() -> None:
    from user_gui.app.workers import human_message
    from user_gui.services.clients import BackendError

    body = {"error": "Not Found", **msg("error.not_found", path="/x").fields("message")}
    exc = BackendError("GET /x: HTTP 404: no such resource: /x", 404, body)
    assert human_message(exc) == "no such resource: /x"
    i18n.set_language("zh_CN")
    assert human_message(exc) == "没有这个资源：/x"  # noqa: RUF001
    assert exc.details == {}  # the key and args are the message's, not details


@pytest.mark.slow
@pytest.mark.parametrize(
    ("saved", "flag", "shown"), [("en", "zh_CN", "zh_CN"), ("zh_CN", "en", "en")]
)
def test_python_m_user_gui_lang_wins_over_the_saved_choice(
    tmp_path: Path, saved: str, flag: str, shown: str
) -> None:
    """As a person runs it: ``python -m user_gui --lang X`` opens the window in X whatever
    Help → Language saved; the window reports its language (local /status, the monitor)."""
    config = tmp_path / "xdg"
    (config / "AR Live Studio").mkdir(parents=True)
    (config / "AR Live Studio" / "user_gui.conf").write_text(f"[General]\nlanguage={saved}\n")
    port = free_port()
    nowhere = "http://127.0.0.1:9"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(config)}
    log = (tmp_path / "gui.log").open("wb")
    gui_config = tmp_path / "user_gui.yaml"
    gui_config.write_text("monitor: {enabled: false}\n")  # nothing to report to here
    args = ["--config", str(gui_config), "--backend-url", nowhere, "--local-port", str(port)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "user_gui", *args, "--lang", flag],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:

        def language() -> str | None:
            try:
                gui = requests.get(f"http://127.0.0.1:{port}/status", timeout=2).json()["gui"]
            except (requests.RequestException, KeyError, ValueError):
                return None
            return gui.get("language")

        wait_for(lambda: language() is not None, timeout=60)
        assert language() == shown
        saved_now = (config / "AR Live Studio" / "user_gui.conf").read_text()
        assert f"language={saved}" in saved_now  # the flag is for this time only
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)  # a loaded machine: closing may take a while
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
    assert proc.returncode == 0, (tmp_path / "gui.log").read_text()


@pytest.fixture
def chinese() -> None:
    """The window opens in Chinese (as ``--lang zh_CN`` makes it); the autouse fixture puts
    English back afterwards."""
    i18n.set_language("zh_CN")


@pytest.mark.slow
def test_a_window_opened_in_chinese_says_the_services_words_in_chinese(
    qtbot, chinese, window, services
) -> None:
    mon, _be, _cfg = services
    camera = window.camera_panel
    assert camera.source.currentText() == "演示（内置测试画面）"  # noqa: RUF001  (not "demo")
    assert camera.selected_source() == "demo"
    voice = window.voice_panel
    qtbot.waitUntil(lambda: voice.effect_type.count() >= 8, timeout=15000)
    names = {voice.effect_type.itemData(i): voice.effect_type.itemText(i) for i in range(8)}
    assert names["echo"] == "回声" and names["gain"] == "增益"
    voice.effect_type.setCurrentIndex(voice.effect_type.findData("pitch"))
    labels = [voice.effect_form.itemAt(i).widget().text() for i in (0, 2)]  # the row labels
    assert labels == ["半音", "保留共振峰"]
    assert voice.input_device.itemText(0) == "（默认）"  # noqa: RUF001
    # an alert the monitor raised, with its key: said in Chinese, its status too
    for _ in range(4):
        beat = {"node_type": "test", "resources": {"cpu_percent": 97.0, "memory_percent": 10.0}}
        resp = requests.post(f"{mon.url}/api/ar/nodes/cam-9/heartbeat", json=beat, timeout=5)
        assert resp.status_code == 200, resp.text
    alerts = window.services_tab.alerts

    def shown() -> list[str]:
        return [alerts.item(i).text() for i in range(alerts.count())]

    qtbot.waitUntil(lambda: any("cam-9" in text for text in shown()), timeout=20000)
    text = next(t for t in shown() if "cam-9" in t)
    assert text.startswith("[告警中] cam-9 CPU 占用 97.0%"), text
