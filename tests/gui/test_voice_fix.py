"""No sound device (issue 25, item 8): the voice panel says what is missing in a person's
words, with the exact command for this system and Copy; once there is a sound device, a test
tone plays on it (heard through a real PulseAudio null sink)."""

from __future__ import annotations

import signal
import subprocess
import time
import wave
from pathlib import Path

import numpy as np
import pytest
import requests
import yaml

pytest.importorskip("PyQt5")
pytestmark = pytest.mark.slow


@pytest.fixture
def no_sound_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """No sound server reachable for this test and the backend it starts, whatever another
    test on this machine runs meanwhile (a PulseAudio null sink is a device)."""
    monkeypatch.setenv("PULSE_SERVER", "unix:/nonexistent/ar-live-studio-test")


def test_no_sound_device_says_what_is_missing_with_the_command(
    qtbot, no_sound_server, window
) -> None:
    from PyQt5.QtWidgets import QApplication

    from ar_backend.audio.sound_fix import work_out
    from shared.messages import msg
    from user_gui.app import i18n

    voice = window.voice_panel
    qtbot.waitUntil(voice.audio_start.isEnabled, timeout=15000)
    voice.audio_start.click()
    fix = voice.sound_fix
    qtbot.waitUntil(fix.isVisible, timeout=20000)
    # what this very machine lacks, worked out as the backend does (no sound card here)
    expected = work_out(msg("audio.no_device", command="bash scripts/setup_virtual_mic.sh"))
    assert expected is not None
    assert fix.command_text == expected["command"]
    sentence = fix.sentence.full_text
    assert "sound card" in sentence and "PortAudio" not in sentence.replace("(PortAudio)", "")
    if expected["missing"] == "sound_server":
        assert ("PipeWire" if expected["server"] == "pipewire" else "PulseAudio") in sentence
    assert "no audio device" in fix.sentence.toolTip()  # the backend's words, for who wants
    assert "—" not in voice.audio_state.full_text  # the developer text is not repeated above
    assert not voice.tone_button.isVisible()  # no test tone while nothing can play it
    refreshed = window.refresh_shown
    qtbot.waitUntil(lambda: window.refresh_shown > refreshed + 1, timeout=10000)
    assert fix.isVisible() and fix.command_text == expected["command"]  # the status says it too
    if expected["command"]:
        fix.copy_button.click()
        assert QApplication.clipboard().text() == expected["command"]
    i18n.set_language("zh_CN")
    assert "声卡" in fix.sentence.text()


def record(sink: str, seconds: float, during, wav: Path) -> np.ndarray:  # type: ignore[no-untyped-def]
    """What plays on ``sink`` while ``during()`` runs and ``seconds`` after (a null sink
    delivers it a second or so late), recorded from its monitor: mono samples in -1..1."""
    rec = subprocess.Popen(
        [
            "parec",
            f"--device={sink}.monitor",
            "--rate=48000",
            "--channels=1",
            "--format=s16le",
            "--file-format=wav",
            str(wav),
        ]
    )
    try:
        time.sleep(0.3)
        during()
        time.sleep(seconds)
    finally:
        rec.send_signal(signal.SIGINT)  # parec finishes the file
        rec.wait(timeout=10)
    with wave.open(str(wav)) as f:
        data = f.readframes(f.getnframes())
    return np.frombuffer(data, dtype=np.int16).astype(np.float64) / 32768


def loud_seconds(samples: np.ndarray, floor_dbfs: float = -30.0) -> float:
    """How long the recording is louder than ``floor_dbfs`` (50 ms windows)."""
    window = 2400  # 50 ms at 48 kHz
    count = len(samples) // window
    if not count:
        return 0.0
    blocks = samples[: count * window].reshape(count, window)
    rms = np.sqrt(np.mean(blocks**2, axis=1))
    loud = rms > 10 ** (floor_dbfs / 20)
    return float(loud.sum()) * 0.05


def test_a_test_tone_plays_once_there_is_sound(qtbot, spawn, tmp_path: Path) -> None:
    from PyQt5.QtCore import QSettings

    from tests.pulse import null_sink
    from user_gui.app.voice_panel import VoicePanel
    from user_gui.services.clients import ARBackendClient

    QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope, str(tmp_path / "settings"))
    with null_sink("ar_test_tone", default_sink=True) as sink:
        cfg = tmp_path / "backend.yaml"
        cfg.write_text(
            yaml.safe_dump(
                {
                    "monitor": {"enabled": False},
                    "audio": {"input_device": "pulse", "output_device": "pulse"},
                }
            )
        )
        be = spawn("ar_backend", ["--config", str(cfg), "--no-autostart"], health_path="/health")
        client = ARBackendClient(be.url, timeout=10, retries=0)
        panel = VoicePanel(client)
        qtbot.addWidget(panel)
        panel.show()
        panel.set_backend_ok(True)
        panel.show_status(client.audio_status())
        assert panel.tone_button.isVisible()  # the sound works here: a tone to check it
        assert not panel.sound_fix.isVisible()

        def click_and_wait() -> None:  # the tone starts as the backend answers
            panel.tone_button.click()
            qtbot.waitUntil(lambda: "test tone" in panel.audio_state.full_text, timeout=20000)

        samples = record(sink, 4.0, click_and_wait, tmp_path / "tone.wav")
        assert "Playing a test tone on pulse" in panel.audio_state.full_text
        heard = loud_seconds(samples)
        assert 0.7 <= heard <= 1.3, heard  # the one-second tone reached the output, and ended
        assert np.abs(samples).max() < 0.5  # soft (-12 dBFS), not an alarm
        answer = requests.post(be.url + "/audio/test_tone", timeout=10).json()
        assert answer["playing"] is True and answer["hz"] == 440.0


def test_a_video_with_sound_is_offered_as_the_microphone(
    qtbot, no_sound_server, window, services, tmp_path: Path
) -> None:
    """The camera plays a file with sound: the Microphone list offers "The video's own
    sound", and choosing it starts the voice from the video (no sound card here)."""
    from ar_backend.outputs.avclip import write_flash_clip
    from user_gui.app import i18n

    _mon, be, _cfg = services
    media = tmp_path / "media"
    media.mkdir(exist_ok=True)
    write_flash_clip(media / "talk.mp4", seconds=6.0, size=(320, 240), fps=15)
    voice = window.voice_panel
    qtbot.waitUntil(voice.audio_start.isEnabled, timeout=15000)
    assert voice.input_device.findData("source") < 0  # no video plays: not offered
    resp = requests.post(be.url + "/camera/start", json={"source": "talk.mp4"}, timeout=30)
    assert resp.status_code == 200, resp.text
    qtbot.waitUntil(lambda: voice.input_device.findData("source") >= 0, timeout=20000)
    index = voice.input_device.findData("source")
    assert voice.input_device.itemText(index) == "The video's own sound"
    voice.input_device.setCurrentIndex(index)
    voice.audio_start.click()
    qtbot.waitUntil(lambda: voice.state == "running", timeout=20000)
    status = requests.get(be.url + "/audio/status", timeout=5).json()
    assert status["input_device"] == "source" and "talk.mp4" in status["source_sound"]
    assert voice.input_device.currentData() == "source"
    i18n.set_language("zh_CN")
    voice.load_devices()
    qtbot.waitUntil(
        lambda: (
            voice.input_device.itemText(voice.input_device.findData("source")) == "视频自带的声音"
        ),
        timeout=10000,
    )
