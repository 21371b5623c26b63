"""The voice effects and their parameters as a person reads them, in the window's language:
the backend names them by type (``pitch``) and parameter (``delay_ms``); a type or parameter
a newer backend adds shows as it is named."""

from __future__ import annotations

from user_gui.app.i18n import tr


def effect_name(effect_type: str) -> str:
    names = {
        "denoise": tr("denoise"),
        "echo": tr("echo"),
        "formant": tr("formant"),
        "gain": tr("gain"),
        "gate": tr("gate"),
        "highpass": tr("high-pass"),
        "lowpass": tr("low-pass"),
        "pitch": tr("pitch"),
        "reverb": tr("reverb"),
        "robot": tr("robot"),
    }
    return names.get(effect_type, effect_type)


def param_name(param: str) -> str:
    """A parameter with its unit ("delay (ms)")."""
    names = {
        "strength": tr("strength"),
        "delay_ms": tr("delay (ms)"),
        "feedback": tr("feedback"),
        "mix": tr("mix"),
        "semitones": tr("semitones"),
        "db": tr("gain (dB)"),
        "threshold_db": tr("threshold (dB)"),
        "attack_ms": tr("attack (ms)"),
        "release_ms": tr("release (ms)"),
        "cutoff_hz": tr("cutoff (Hz)"),
        "preserve_formants": tr("keep the formants"),
        "room": tr("room size"),
        "frequency_hz": tr("frequency (Hz)"),
    }
    return names.get(param, param)
