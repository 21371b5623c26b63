"""Cost of each voice effect and of the full chain at 48 kHz, as a fraction of real time.

    .venv/bin/python -m benchmarks.audio_chain [--seconds 10] [--block 480] [--channels 1]

Runs each effect (and all of them chained) over a recorded-speech-like signal (a harmonic
tone with vibrato and noise) block by block, as the live stream calls it, on one core, and
prints ms per block, the fraction of real time, and the algorithmic latency each adds.
Targets (issue 24): the full chain (denoise, pitch and formant included) at most 0.3 of real
time; pitch and formant each add at most 40 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

RATE = 48000
FULL_CHAIN = [
    {"type": "highpass", "params": {"cutoff_hz": 80}},
    {"type": "denoise", "params": {}},
    {"type": "gate", "params": {"threshold_db": -50}},
    {"type": "pitch", "params": {"semitones": 4}},
    {"type": "formant", "params": {"semitones": -2}},
    {"type": "robot", "params": {"frequency_hz": 60}},
    {"type": "echo", "params": {"delay_ms": 180}},
    {"type": "reverb", "params": {"room": 0.4}},
    {"type": "lowpass", "params": {"cutoff_hz": 9000}},
    {"type": "gain", "params": {"db": -2}},
]


def voice_like(seconds: float, channels: int) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    f0 = 140 + 15 * np.sin(2 * np.pi * 5 * t)  # vibrato
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    x = sum(np.sin(k * phase) / k for k in range(1, 12)) * 0.15
    x += np.random.default_rng(0).standard_normal(len(t)) * 0.01
    return np.repeat(x.astype(np.float32)[:, None], channels, axis=1)


def measure(specs: list[dict], signal: np.ndarray, block: int) -> tuple[float, float]:
    from ar_backend.audio.chain import EffectChain

    chain = EffectChain(RATE, signal.shape[1])
    chain.set_chain(specs)
    blocks = [signal[i : i + block] for i in range(0, len(signal) - block + 1, block)]
    for b in blocks[:20]:  # warm-up
        chain.process(b)
    started = time.process_time()  # CPU time of this (one) thread
    for b in blocks:
        chain.process(b)
    cpu = time.process_time() - started
    return cpu / len(blocks) * 1000, chain.latency_ms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.audio_chain")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--block", type=int, default=480)
    parser.add_argument("--channels", type=int, default=1)
    args = parser.parse_args(argv)
    from ar_backend.audio.effects import REGISTRY

    signal = voice_like(args.seconds, args.channels)
    block_ms = args.block / RATE * 1000
    print(
        f"== voice effects at {RATE} Hz, {args.block}-frame blocks ({block_ms:.1f} ms), "
        f"{args.channels} channel(s), {args.seconds:g} s of signal, one core =="
    )
    print(f"{'effect':<10} {'ms/block':>9} {'x realtime':>11} {'latency ms':>11}")
    results = {}
    for name in sorted(REGISTRY):
        spec = next((s for s in FULL_CHAIN if s["type"] == name), {"type": name, "params": {}})

        ms, latency = measure([spec], signal, args.block)
        results[name] = (ms, latency)
        print(f"{name:<10} {ms:9.4f} {ms / block_ms:11.4f} {latency:11.1f}")
    ms, latency = measure(FULL_CHAIN, signal, args.block)
    chain_names = " -> ".join(s["type"] for s in FULL_CHAIN)
    print(f"{'chain':<10} {ms:9.4f} {ms / block_ms:11.4f} {latency:11.1f}   ({chain_names})")
    fraction = ms / block_ms
    voice_latency = max(results["pitch"][1], results["formant"][1])
    print()
    print(
        f"target full chain <= 0.3 of real time: {'met' if fraction <= 0.3 else 'MISSED'} "
        f"({fraction:.4f})"
    )
    print(
        f"target pitch and formant latency <= 40 ms: "
        f"{'met' if voice_latency <= 40 else 'MISSED'} ({voice_latency:.1f} ms)"
    )
    return 0


if __name__ == "__main__":
    if not __package__:
        os.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        os.execv(sys.executable, [sys.executable, "-m", "benchmarks.audio_chain", *sys.argv[1:]])
    sys.exit(main())
