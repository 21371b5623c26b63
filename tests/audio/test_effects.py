"""Voice effects on synthetic signals, the chain, and the offline WAV command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ar_backend.audio.chain import EffectChain
from ar_backend.audio.effects import EffectError, make_effect
from ar_backend.audio.wavio import read_wav, write_wav
from shared.registry import UnknownName

RATE = 48000


def sine(freq: float, seconds: float = 2.0, level: float = 0.5) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)[:, None]


def run(effect, signal: np.ndarray, block: int = 480) -> np.ndarray:  # type: ignore[no-untyped-def]
    return np.concatenate(
        [effect.process(signal[i : i + block]) for i in range(0, len(signal), block)]
    )


def peak_hz(signal: np.ndarray) -> float:
    seg = signal[RATE // 2 :, 0]  # past the start-up
    spectrum = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    return float(np.fft.rfftfreq(len(seg), 1 / RATE)[spectrum.argmax()])


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))


@pytest.mark.parametrize(
    ("freq", "semitones", "factor"),
    [(440, 12, 2.0), (440, -12, 0.5), (220, 7, 2 ** (7 / 12)), (1000, -5, 2 ** (-5 / 12))],
)
def test_pitch_moves_the_spectral_peak(freq: float, semitones: float, factor: float) -> None:
    # a pure tone has no formants to keep: the plain phase vocoder moves it exactly
    params = {"semitones": semitones, "preserve_formants": False}
    out = run(make_effect("pitch", params, RATE, 1), sine(freq))
    assert len(out) == int(RATE * 2.0)  # the voice keeps its timing
    assert peak_hz(out) == pytest.approx(freq * factor, rel=0.02)
    assert rms(out[RATE // 2 :]) == pytest.approx(rms(sine(freq)), rel=0.15)  # same loudness


def test_echo_shows_at_its_delay_in_the_autocorrelation() -> None:
    rng = np.random.default_rng(1)
    noise = (rng.standard_normal((RATE, 1)) * 0.2).astype(np.float32)
    out = run(make_effect("echo", {"delay_ms": 250, "feedback": 0.0, "mix": 0.6}, RATE, 1), noise)
    x = out[:, 0] - out[:, 0].mean()
    spectrum = np.fft.rfft(x, n=2 * len(x))
    acf = np.fft.irfft(np.abs(spectrum) ** 2)[: len(x)]
    lag = int(np.argmax(acf[100:]) + 100)
    assert lag == pytest.approx(RATE * 0.25, abs=2)


def test_gate_silences_what_is_under_its_threshold() -> None:
    gate = make_effect("gate", {"threshold_db": -40}, RATE, 1)
    quiet = sine(300, 1.0, level=10 ** (-55 / 20))
    loud = sine(300, 1.0, level=0.3)
    out = run(gate, np.concatenate([quiet, loud, quiet]))
    assert rms(out[RATE // 2 : RATE]) < rms(quiet) * 0.05  # hum under the threshold: gone
    assert rms(out[RATE + RATE // 2 : 2 * RATE]) == pytest.approx(rms(loud), rel=0.05)
    assert rms(out[-RATE // 2 :]) < rms(quiet) * 0.05


def test_filters_cut_where_they_should() -> None:
    low = run(make_effect("lowpass", {"cutoff_hz": 500}, RATE, 1), sine(5000))
    high = run(make_effect("highpass", {"cutoff_hz": 2000}, RATE, 1), sine(100))
    assert rms(low[RATE // 2 :]) < 0.2 * rms(sine(5000))
    assert rms(high[RATE // 2 :]) < 0.1 * rms(sine(100))


def test_chain_order_matters_where_it_should() -> None:
    quiet = sine(300, 1.0, level=10 ** (-50 / 20))
    gate_then_gain = EffectChain(RATE, 1)
    gate_then_gain.set_chain(
        [{"type": "gate", "params": {"threshold_db": -40}}, {"type": "gain", "params": {"db": 20}}]
    )
    gain_then_gate = EffectChain(RATE, 1)
    gain_then_gate.set_chain(
        [{"type": "gain", "params": {"db": 20}}, {"type": "gate", "params": {"threshold_db": -40}}]
    )
    a = run(gate_then_gain, quiet)
    b = run(gain_then_gate, quiet)
    assert rms(a[RATE // 2 :]) < 0.01 * rms(b[RATE // 2 :])  # gated before the boost: silent


def test_changing_the_chain_while_running_does_not_click() -> None:
    chain = EffectChain(RATE, 1)
    chain.set_effect("gain", {"db": 0})
    signal = sine(200, 1.0, level=0.4)
    out = []
    for i in range(0, len(signal), 480):
        if i == 480 * 50:
            chain.set_effect("gain", {"db": -12})  # a live change, mid-stream
        out.append(chain.process(signal[i : i + 480]))
    y = np.concatenate(out)[:, 0]
    steps = np.abs(np.diff(y))
    # the largest sample-to-sample step stays what the sine itself has: no jump at the switch
    assert steps.max() <= np.abs(np.diff(signal[:, 0])).max() * 1.05
    assert [e.params["db"] for e in chain.describe()] == [-12.0]


def test_bad_effects_name_the_field_and_change_nothing() -> None:
    chain = EffectChain(RATE, 1)
    chain.set_chain([{"type": "echo", "params": {"delay_ms": 100}}])
    before = chain.describe()
    cases = [
        ({"type": "warp"}, "effects.0.type"),
        ({"type": "pitch", "params": {"semitones": 13}}, "effects.0.params.semitones"),
        ({"type": "echo", "params": {"feedback": "lots"}}, "effects.0.params.feedback"),
        ({"type": "gain", "params": {"volume": 3}}, "effects.0.params.volume"),
    ]
    for spec, field in cases:
        with pytest.raises((EffectError, UnknownName)) as err:
            chain.set_chain([spec])
        assert err.value.field == field
    assert chain.describe() == before


def test_offline_command_processes_a_wav(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """``python -m ar_backend.audio process``, through its ``main(argv)`` in this process
    (exit status, what it prints, the file it writes)."""
    from ar_backend.audio.__main__ import main

    src, dst = tmp_path / "in.wav", tmp_path / "out.wav"
    write_wav(src, sine(330, 1.5), RATE)
    effects = [
        "--effect",
        "pitch:semitones=12,preserve_formants=false",
        "--effect",
        "echo:delay_ms=250,feedback=0",
    ]
    code = main(["process", str(src), str(dst), *effects])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "pitch -> echo" in out
    got, rate = read_wav(dst)
    assert rate == RATE and len(got) == int(RATE * 1.5)
    assert peak_hz(got) == pytest.approx(660, rel=0.02)
    code = main(["process", str(src), str(dst), "--effect", "pitch:semitones=40"])
    assert code == 2 and "semitones" in capsys.readouterr().err
