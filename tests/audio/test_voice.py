"""The voice effects on spoken English: pitch with the formants kept (another person, not a
cartoon), the formants moved alone, and RNNoise taking white noise out of the pauses."""

from __future__ import annotations

import numpy as np
import pytest

from ar_backend.audio.chain import EffectChain
from ar_backend.audio.effects import EffectError, make_effect
from ar_backend.audio.voiceprint import compare, noise_figures, with_white_noise
from tests.audio.speech import RATE, speak


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    return speak(tmp_path_factory.mktemp("speech"))


def through(specs: list[dict], voice: np.ndarray, block: int = 480) -> tuple[np.ndarray, int]:
    chain = EffectChain(RATE, voice.shape[1])
    chain.set_chain(specs)
    out = np.concatenate([chain.process(voice[i : i + block]) for i in range(0, len(voice), block)])
    return out, round(chain.latency_ms * RATE / 1000)


@pytest.mark.slow
def test_pitch_up_keeps_the_formants_by_default(speech: np.ndarray) -> None:
    out, delay = through([{"type": "pitch", "params": {"semitones": 5}}], speech)
    assert len(out) == len(speech)
    moved = compare(speech, out, RATE, delay)
    assert 1.28 <= moved.f0 <= 1.40, moved
    assert abs(moved.f1 - 1) <= 0.08 and abs(moved.f2 - 1) <= 0.08, moved


@pytest.mark.slow
def test_pitch_without_preserve_formants_is_the_cartoon(speech: np.ndarray) -> None:
    params = {"semitones": 5, "preserve_formants": False}
    out, delay = through([{"type": "pitch", "params": params}], speech)
    moved = compare(speech, out, RATE, delay)
    assert moved.f0 > 1.25 and moved.f1 > 1.12, moved


@pytest.mark.slow
def test_pitch_down_lowers_f0(speech: np.ndarray) -> None:
    out, delay = through([{"type": "pitch", "params": {"semitones": -5}}], speech, block=256)
    moved = compare(speech, out, RATE, delay)
    assert 0.70 <= moved.f0 <= 0.80 and abs(moved.f1 - 1) <= 0.1, moved


@pytest.mark.slow
def test_formant_moves_the_formants_and_keeps_the_pitch(speech: np.ndarray) -> None:
    out, delay = through([{"type": "formant", "params": {"semitones": -3}}], speech)
    deeper = compare(speech, out, RATE, delay)
    assert abs(deeper.f0 - 1) <= 0.03, deeper
    assert 0.76 <= deeper.f1 <= 0.93 and 0.76 <= deeper.f2 <= 0.93, deeper
    out, delay = through([{"type": "formant", "params": {"semitones": 3}}], speech)
    brighter = compare(speech, out, RATE, delay)
    assert abs(brighter.f0 - 1) <= 0.03 and brighter.f1 > 1.05 and brighter.f2 > 1.05, brighter


@pytest.mark.slow
def test_denoise_takes_white_noise_out_of_the_pauses(speech: np.ndarray) -> None:
    take = with_white_noise(speech, RATE, snr_db=10)
    out, delay = through([{"type": "denoise"}], take.noisy)
    removed, speech_moved = noise_figures(take, out, delay)
    assert removed >= 12, removed
    assert abs(speech_moved) <= 4, speech_moved


def test_denoise_at_another_rate_is_refused_naming_the_type() -> None:
    with pytest.raises(EffectError) as err:
        make_effect("denoise", {}, 44100, 1)
    assert err.value.field == "type" and "48000" in str(err.value)


@pytest.mark.parametrize("block", [100, 480, 1000])
def test_voice_effects_keep_the_length_at_any_block_size(block: int) -> None:
    rng = np.random.default_rng(block)
    signal = (rng.standard_normal((RATE // 2, 2)) * 0.1).astype(np.float32)
    for kind in ("pitch", "formant", "denoise"):
        params = {"semitones": 3} if kind != "denoise" else {"strength": 0.5}
        effect = make_effect(kind, params, RATE, 2)
        out = np.concatenate(
            [effect.process(signal[i : i + block]) for i in range(0, len(signal), block)]
        )
        assert out.shape == signal.shape and np.isfinite(out).all(), kind


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"type": "pitch", "params": {"preserve_formants": 1.0}}, "params.preserve_formants"),
        ({"type": "pitch", "params": {"semitones": True}}, "params.semitones"),
        ({"type": "formant", "params": {"semitones": -13}}, "params.semitones"),
        ({"type": "denoise", "params": {"strength": 2}}, "params.strength"),
    ],
)
def test_bad_voice_parameters_name_the_field(spec: dict, field: str) -> None:
    with pytest.raises(EffectError) as err:
        make_effect(spec["type"], spec["params"], RATE, 1)
    assert err.value.field == field
