"""What is missing when there is no sound, and the command for this system
(ar_backend/audio/sound_fix.py): each case on a system made to look like it (which programs are
installed, whether a sound server answers)."""

from __future__ import annotations

import pytest

from ar_backend.audio import sound_fix
from ar_backend.audio.engine import AudioUnavailable
from shared.messages import msg

NO_DEVICE = msg("audio.no_device", command="bash scripts/setup_virtual_mic.sh")


def system(monkeypatch, installed: set[str], answers: bool = False) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sound_fix, "_which", lambda name: name in installed)
    monkeypatch.setattr(sound_fix, "_server_answers", lambda: answers)


@pytest.mark.parametrize(
    ("installed", "answers", "missing", "server", "command"),
    [
        (
            {"pipewire", "pactl", "apt-get"},
            False,
            "sound_server",
            "pipewire",
            "systemctl --user start pipewire pipewire-pulse wireplumber",
        ),
        (
            {"pulseaudio", "pactl", "apt-get"},
            False,
            "sound_server",
            "pulseaudio",
            "pulseaudio --start",
        ),
        (
            {"pulseaudio", "pactl", "apt-get"},
            True,
            "alsa_plugin",
            "pulseaudio",
            "sudo apt-get install -y libasound2-plugins",
        ),
        (
            {"apt-get"},
            False,
            "sound_system",
            "pipewire",
            "sudo apt-get install -y pipewire pipewire-pulse wireplumber libasound2-plugins",
        ),
        (set(), False, "sound_system", "pipewire", ""),  # no apt-get: no command to offer
    ],
)
def test_the_fix_fits_the_system(  # type: ignore[no-untyped-def]
    monkeypatch, installed, answers, missing, server, command
) -> None:
    system(monkeypatch, installed, answers)
    assert sound_fix.work_out(NO_DEVICE) == {
        "missing": missing,
        "server": server,
        "command": command,
    }


def test_portaudio_missing_and_other_reasons(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    system(monkeypatch, {"apt-get"})
    missing = msg("audio.no_portaudio", command="sudo apt-get install libportaudio2", detail="x")
    fix = sound_fix.work_out(missing)
    assert fix == {
        "missing": "portaudio",
        "server": None,
        "command": "sudo apt-get install -y libportaudio2",
    }
    busy = msg("audio.stream_failed", detail="device busy")
    assert sound_fix.work_out(busy) is None  # nothing missing: no fix to offer


def test_the_fix_rides_on_the_503_and_is_kept(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    system(monkeypatch, {"pulseaudio", "pactl"})
    looked: list[str] = []
    real = sound_fix.work_out
    monkeypatch.setattr(sound_fix, "work_out", lambda reason: looked.append(reason) or real(reason))
    keeper = sound_fix.SoundFixes()
    assert (
        keeper(NO_DEVICE)
        == keeper(NO_DEVICE)
        == {
            "missing": "sound_server",
            "server": "pulseaudio",
            "command": "pulseaudio --start",
        }
    )
    assert looked == [NO_DEVICE]  # worked out once: the status polled every 2 s never waits
    assert keeper(None) is None
    monkeypatch.setattr(sound_fix.sound_fix, "_kept", {})  # the engine's own keeper
    assert AudioUnavailable(NO_DEVICE).details["fix"]["command"] == "pulseaudio --start"
