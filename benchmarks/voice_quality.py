"""How the voice effects change a voice, and the libraries we compared them with.

    .venv/bin/python -m benchmarks.voice_quality [--block 480]

On espeak-ng speech (en-us, 48 kHz) it prints, per candidate: F0, F1 and F2 as ratios to
the original (medians over the voiced frames; F1/F2 by LPC, ar_backend/audio/voiceprint.py),
the latency it adds and its cost as a fraction of real time on one core, run block by block
as the live stream runs it. Candidates:

- ours: ``pitch`` (phase vocoder over the flattened spectrum, envelope put back) and
  ``formant`` (the envelope moved), ar_backend/audio/voice.py;
- Signalsmith Stretch (python-stretch, requirements-dev.txt), block by block and whole;
- WORLD (pyworld; no wheel for this Python: ``pip install --target /tmp/cand pyworld==0.3.5``
  and run with ``PYTHONPATH=/tmp/cand``), whole and in 100 ms chunks with 50 ms of
  context, the least it needs to run live;
- ``denoise`` (RNNoise) on the speech with white noise at 10 dB SNR: dB taken out of the
  pauses, dB the speech moved.

Targets (issue 24): pitch +5 gives F0 x1.28-1.40 with F1 and F2 within 8%; formant -3 F0
within 3% and F1/F2 x0.76-0.93; denoise >= 12 dB out of the pauses, speech within 4 dB;
latency <= 40 ms for pitch and formant. Timings on a shared machine are a direction only.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

RATE = 48000
UP, DOWN = 2 ** (5 / 12), 2 ** (-3 / 12)


def _blocks(fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray, block: int) -> np.ndarray:
    return np.concatenate([fn(x[i : i + block]) for i in range(0, len(x), block)])


def ours(spec: dict, x: np.ndarray, block: int) -> tuple[np.ndarray, float, float]:
    from ar_backend.audio.chain import EffectChain

    chain = EffectChain(RATE, 1)
    chain.set_chain([spec])
    started = time.process_time()
    out = _blocks(chain.process, x, block)
    return out, time.process_time() - started, chain.latency_ms


def stretch(x: np.ndarray, block: int | None) -> tuple[np.ndarray, float, float] | None:
    try:
        from python_stretch.Signalsmith import Stretch
    except ImportError:
        return None
    s = Stretch()
    s.preset(1, RATE)
    s.setTransposeSemitones(5)
    latency = (s.inputLatency() + s.outputLatency()) / RATE * 1000
    started = time.process_time()
    if block is None:
        out = s.process(np.ascontiguousarray(x.T)).T
    else:
        out = _blocks(lambda b: s.process(np.ascontiguousarray(b.T)).T, x, block)
    return out, time.process_time() - started, latency


def world(
    x: np.ndarray, pitch: float, formant: float, chunked: bool
) -> tuple[np.ndarray, float, float] | None:
    try:
        import pyworld as pw
    except ImportError:
        return None

    def run(seg: np.ndarray) -> np.ndarray:
        f0, t = pw.dio(seg, RATE, frame_period=5.0)
        f0 = pw.stonemask(seg, f0, t, RATE)
        sp = pw.cheaptrick(seg, f0, t, RATE)
        ap = pw.d4c(seg, f0, t, RATE)
        if formant != 1.0:
            bins = np.arange(sp.shape[1])
            sp = np.stack([np.interp(bins / formant, bins, row) for row in sp])
        return np.asarray(pw.synthesize(f0 * pitch, sp, ap, RATE, frame_period=5.0))

    signal = x[:, 0].astype(np.float64)
    started = time.process_time()
    if not chunked:
        out = run(signal)[: len(signal)]
        latency = float("inf")
    else:
        chunk, context, parts = RATE // 10, RATE // 20, []
        for i in range(0, len(signal), chunk):
            a = max(0, i - context)
            seg = signal[a : i + chunk + context]
            parts.append(run(seg)[i - a : i - a + chunk] if len(seg) >= 2048 else seg[:chunk])
        out = np.concatenate(parts)[: len(signal)]
        latency = (chunk + context) / RATE * 1000
    return out[:, None], time.process_time() - started, latency


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.voice_quality")
    parser.add_argument("--block", type=int, default=480)
    args = parser.parse_args(argv)
    from ar_backend.audio.voiceprint import compare, espeak_speech, noise_figures, with_white_noise

    with tempfile.TemporaryDirectory() as tmp:
        x = espeak_speech(Path(tmp), RATE)
    seconds = len(x) / RATE
    print(f"== espeak-ng speech, {seconds:.1f} s at {RATE} Hz, {args.block}-frame blocks ==")
    print(f"{'candidate':<48} {'F0':>6} {'F1':>6} {'F2':>6} {'lat ms':>7} {'x RT':>6}")
    rows: dict[str, tuple[float, float, float, float]] = {}

    def show(name: str, result: tuple[np.ndarray, float, float] | None) -> None:
        if result is None:
            print(f"{name:<48} (not installed)")
            return
        out, cpu, latency = result
        delay = 0 if not np.isfinite(latency) else round(latency * RATE / 1000)
        moved = compare(x, out, RATE, delay)
        rows[name] = (moved.f0, moved.f1, moved.f2, latency)
        lat = "whole" if not np.isfinite(latency) else f"{latency:.1f}"
        print(
            f"{name:<48} {moved.f0:6.3f} {moved.f1:6.3f} {moved.f2:6.3f} {lat:>7} "
            f"{cpu / seconds:6.3f}"
        )

    b = args.block
    show("ours pitch +5", ours({"type": "pitch", "params": {"semitones": 5}}, x, b))
    plain = {"type": "pitch", "params": {"semitones": 5, "preserve_formants": False}}
    show("ours pitch +5 preserve_formants=false", ours(plain, x, b))
    show("ours formant -3", ours({"type": "formant", "params": {"semitones": -3}}, x, b))
    show("Signalsmith Stretch +5, blocks", stretch(x, b))
    show("Signalsmith Stretch +5, whole file", stretch(x, None))
    show("WORLD +5, whole file", world(x, UP, 1.0, chunked=False))
    show("WORLD +5, 100 ms chunks + 50 ms context", world(x, UP, 1.0, chunked=True))
    show("WORLD formant -3, whole file", world(x, 1.0, DOWN, chunked=False))

    take = with_white_noise(x, RATE, snr_db=10)
    out, cpu, latency = ours({"type": "denoise"}, take.noisy, b)
    removed, speech = noise_figures(take, out, round(latency * RATE / 1000))
    print()
    print(
        f"denoise (RNNoise), white noise at 10 dB SNR: {removed:.1f} dB out of the pauses, "
        f"speech {speech:+.2f} dB, latency {latency:.1f} ms, "
        f"{cpu / (len(take.noisy) / RATE):.3f} of real time"
    )

    def met(ok: bool) -> str:
        return "met" if ok else "MISSED"

    f0, f1, f2, lat = rows["ours pitch +5"]
    print()
    ok = 1.28 <= f0 <= 1.40 and abs(f1 - 1) <= 0.08 and abs(f2 - 1) <= 0.08
    print(f"target pitch +5 F0 x1.28-1.40, F1/F2 within 8%: {met(ok)}")
    f0, f1, f2, lat2 = rows["ours formant -3"]
    ok = abs(f0 - 1) <= 0.03 and 0.76 <= f1 <= 0.93 and 0.76 <= f2 <= 0.93
    print(f"target formant -3 F0 within 3%, F1/F2 x0.76-0.93: {met(ok)}")
    ok = removed >= 12 and abs(speech) <= 4
    print(f"target denoise >= 12 dB, speech within 4 dB: {met(ok)}")
    ok = max(lat, lat2) <= 40
    print(f"target latency <= 40 ms (pitch {lat:.1f}, formant {lat2:.1f}): {met(ok)}")
    return 0


if __name__ == "__main__":
    if not __package__:
        os.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        os.execv(sys.executable, [sys.executable, "-m", "benchmarks.voice_quality", *sys.argv[1:]])
    sys.exit(main())
