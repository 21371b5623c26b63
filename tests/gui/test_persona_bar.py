"""The persona bar in the window, on a real backend process: a preset sets the voice chain,
the formant slider moves the formants, the A/V offset is shown, a persona saved from the
window appears as a button with its hotkey, and F1 (the same action the key fires) applies
it; a bad persona name is the backend's words, and nothing is saved."""

from __future__ import annotations

import pytest
import requests

pytest.importorskip("PyQt5")

from tests.gui.test_studio_window import ready

pytestmark = pytest.mark.slow


def chain(url: str) -> list[str]:
    return [e["type"] for e in requests.get(url + "/audio/status", timeout=5).json()["effects"]]


def test_presets_formant_and_personas_from_the_window(qtbot, window, services) -> None:
    _mon, be, _cfg = services
    ready(qtbot, window)
    bar = window.persona_bar
    qtbot.waitUntil(lambda: bar.preset_buttons["Deeper"].isEnabled(), timeout=10000)
    bar.preset_buttons["Deeper"].click()
    qtbot.waitUntil(lambda: chain(be.url) == ["denoise", "pitch", "formant"], timeout=10000)
    qtbot.waitUntil(lambda: bar.formant.value() == -3, timeout=10000)  # shown from the chain
    bar.formant.setValue(4)
    bar.apply_formant()
    qtbot.waitUntil(
        lambda: any(
            e["type"] == "formant" and e["params"]["semitones"] == 4.0
            for e in requests.get(be.url + "/audio/status", timeout=5).json()["effects"]
        ),
        timeout=10000,
    )
    qtbot.waitUntil(lambda: "A/V offset:" in bar.av_offset.text(), timeout=10000)

    bar.save("Captain", "Captain Nova", face="keep")
    qtbot.waitUntil(lambda: "Captain" in bar.persona_buttons, timeout=10000)
    assert bar.persona_buttons["Captain"].text() == "F1  Captain"
    assert window.hotkeys["persona1"].shortcut().toString() == "F1"
    bar.preset_buttons["Radio"].click()
    qtbot.waitUntil(lambda: "lowpass" in chain(be.url), timeout=10000)
    window.hotkeys["persona1"].trigger()  # F1
    qtbot.waitUntil(lambda: chain(be.url) == ["denoise", "pitch", "formant"], timeout=10000)
    listed = requests.get(be.url + "/personas", timeout=5).json()
    assert listed["active"] == "Captain" and listed["personas"][0]["label"] == "Captain Nova"
    qtbot.waitUntil(lambda: bar.persona_buttons["Captain"].isChecked(), timeout=10000)

    bar.save("../../etc", "x", face="keep")  # refused by the backend, named
    qtbot.waitUntil(lambda: bar.message.error, timeout=10000)
    assert "name" in bar.message.text()
    assert [
        p["name"] for p in requests.get(be.url + "/personas", timeout=5).json()["personas"]
    ] == ["Captain"]
