"""What a voice measures as: its pitch (F0) and its first two formants (F1, F2) on the voiced
frames, and how a change moved them. The voice benchmark and the tests judge the pitch and
formant effects with these; nothing live calls them.

F0 is the autocorrelation peak between 60 and 500 Hz of 40 ms frames; F1 and F2 are the two
lowest resonances of a 12th-order LPC fit (pre-emphasised, 25 ms Hamming frames at 10 kHz),
the classic method of speech analysis (roots of the LPC polynomial, bandwidth under 400 Hz).
Speech comes from espeak-ng; :func:`with_white_noise` and :func:`noise_figures` judge a
denoiser (noise taken out of the pauses, speech kept).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.linalg import solve_toeplitz

Signal = npt.NDArray[np.float32]
Floats = npt.NDArray[np.float64]

LPC_RATE = 10000
LPC_ORDER = 12
FRAME_S = 0.025
HOP_S = 0.010
F0_RANGE = (60.0, 500.0)


def mono(samples: npt.NDArray[np.floating]) -> Floats:
    x = np.asarray(samples, dtype=np.float64)
    return x.mean(axis=1) if x.ndim == 2 else x


def _frames(x: Floats, size: int, hop: int) -> Floats:
    count = max(0, 1 + (len(x) - size) // hop)
    if count == 0:
        return np.zeros((0, size))
    index = np.arange(size)[None, :] + hop * np.arange(count)[:, None]
    return x[index]


def voiced_frames(samples: npt.NDArray[np.floating], rate: int) -> npt.NDArray[np.bool_]:
    """Which 10 ms hops (25 ms frames) are voiced speech: loud (within 25 dB of the loudest
    tenth) and periodic (normalised autocorrelation peak above 0.5 in the F0 range)."""
    return f0_track(samples, rate) > 0


def f0_track(samples: npt.NDArray[np.floating], rate: int) -> Floats:
    """F0 in Hz per 10 ms hop (40 ms frames); 0 where the frame is not voiced speech."""
    x = mono(samples)
    size, hop = int(0.040 * rate), int(HOP_S * rate)
    frames = _frames(x, size, hop)
    if len(frames) == 0:
        return np.zeros(0)
    frames = frames - frames.mean(axis=1, keepdims=True)
    energy = (frames**2).mean(axis=1)
    loud = 10 * np.log10(energy + 1e-12) > 10 * np.log10(np.quantile(energy, 0.9) + 1e-12) - 25
    lo, hi = int(rate / F0_RANGE[1]), int(rate / F0_RANGE[0])
    window = np.hanning(size)
    spec = np.fft.rfft(frames * window, n=2 * size, axis=1)
    acf = np.fft.irfft(np.abs(spec) ** 2, axis=1)[:, : hi + 2]
    # divided by the window's own autocorrelation (Boersma 1993): long periods are not
    # penalised for the window's taper
    own = np.fft.irfft(np.abs(np.fft.rfft(window, n=2 * size)) ** 2)[: hi + 2]
    acf = acf / np.maximum(own / own[0], 1e-3)[None, :]
    norm = acf[:, lo : hi + 1] / np.maximum(acf[:, :1], 1e-12)
    lag = np.argmax(norm, axis=1)
    peak = norm[np.arange(len(norm)), lag]
    lag = lag + lo
    # parabolic interpolation around the peak for a sub-sample lag
    y0, y1, y2 = (
        acf[np.arange(len(acf)), lag - 1],
        acf[np.arange(len(acf)), lag],
        acf[np.arange(len(acf)), np.minimum(lag + 1, acf.shape[1] - 1)],
    )
    denom = y0 - 2 * y1 + y2
    shift = np.where(np.abs(denom) > 1e-12, 0.5 * (y0 - y2) / np.where(denom == 0, 1, denom), 0)
    f0 = rate / (lag + np.clip(shift, -0.5, 0.5))
    return np.where(loud & (peak > 0.5), f0, 0.0)


def formant_track(samples: npt.NDArray[np.floating], rate: int) -> Floats:
    """(F1, F2) in Hz per 10 ms hop, shaped (hops, 2); NaN where no pair was found."""
    from scipy.signal import lfilter, resample_poly  # (0.4 s to import: only where used)

    x = resample_poly(mono(samples), LPC_RATE, rate)
    x = lfilter([1.0, -0.63], [1.0], x)  # pre-emphasis (the usual for 10 kHz LPC)
    size, hop = int(FRAME_S * LPC_RATE), int(HOP_S * LPC_RATE)
    frames = _frames(x, size, hop) * np.hamming(size)
    out = np.full((len(frames), 2), np.nan)
    for i, frame in enumerate(frames):
        r = np.correlate(frame, frame, "full")[size - 1 : size + LPC_ORDER]
        if r[0] <= 1e-10:
            continue
        r[0] *= 1.0 + 1e-9
        try:
            a = solve_toeplitz(r[:-1], -r[1:])
        except (np.linalg.LinAlgError, ValueError):
            continue
        roots = np.roots(np.concatenate([[1.0], a]))
        roots = roots[np.imag(roots) > 0.01]
        freqs = np.angle(roots) * LPC_RATE / (2 * np.pi)
        bands = -LPC_RATE / np.pi * np.log(np.abs(roots))
        keep = np.sort(freqs[(freqs > 150) & (freqs < 4500) & (bands < 400)])
        if len(keep) >= 2:
            out[i] = keep[:2]
    return out


@dataclass(frozen=True)
class VoiceChange:
    """How a change moved a voice, each a ratio of medians over the original's voiced frames
    (the changed signal keeps the timing, so frames line up)."""

    f0: float
    f1: float
    f2: float
    voiced_frames: int

    def describe(self) -> str:
        return f"F0 x{self.f0:.3f}  F1 x{self.f1:.3f}  F2 x{self.f2:.3f}"


def compare(
    original: npt.NDArray[np.floating],
    changed: npt.NDArray[np.floating],
    rate: int,
    delay_samples: int = 0,
) -> VoiceChange:
    """F0, F1 and F2 of ``changed`` against ``original``; ``delay_samples``: the effect's
    latency, taken off ``changed`` first so the same frames are compared."""
    a = mono(original)
    b = mono(changed)[delay_samples:]
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    f0a, f0b = f0_track(a, rate), f0_track(b, rate)
    both = (f0a > 0) & (f0b > 0)
    fa, fb = formant_track(a, rate), formant_track(b, rate)
    m = min(len(fa), len(fb), len(both))
    voiced = both[:m] & ~np.isnan(fa[:m, 0]) & ~np.isnan(fb[:m, 0])
    if voiced.sum() < 5:
        raise ValueError("fewer than 5 voiced frames to compare")
    return VoiceChange(
        f0=float(np.median(f0b[both]) / np.median(f0a[both])),
        f1=float(np.median(fb[:m][voiced, 0]) / np.median(fa[:m][voiced, 0])),
        f2=float(np.median(fb[:m][voiced, 1]) / np.median(fa[:m][voiced, 1])),
        voiced_frames=int(voiced.sum()),
    )


# ---- test material: speech and noise ---------------------------------------------------------

PHRASE = "Hello everyone, welcome back to the stream. The quick brown fox jumps over the dog."


def espeak_speech(folder: Path, rate: int = 48000, text: str = PHRASE) -> Signal:
    """``text`` spoken by espeak-ng (en-us), resampled to ``rate``, shaped (frames, 1).
    FileNotFoundError when espeak-ng is not installed."""
    from ar_backend.audio.wavio import read_wav

    if shutil.which("espeak-ng") is None:
        raise FileNotFoundError("espeak-ng is not installed (apt-get install espeak-ng)")
    wav = folder / "espeak.wav"
    subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), text],
        check=True,
        capture_output=True,
        timeout=60,
    )
    samples, got = read_wav(wav)
    from scipy.signal import resample_poly  # (0.4 s to import: only where used)

    voice = resample_poly(samples[:, 0].astype(np.float64), rate, got)
    return voice.astype(np.float32)[:, None]


BLOCK_S = 0.02  # 20 ms frames judge speech and pauses


@dataclass(frozen=True)
class NoisyTake:
    """Speech with white noise at an SNR, and which 20 ms frames are speech or pause."""

    clean: Floats
    noisy: Signal  # (frames, 1)
    talking: npt.NDArray[np.bool_]
    pause: npt.NDArray[np.bool_]
    frame: int


def with_white_noise(speech: npt.NDArray[np.floating], rate: int, snr_db: float) -> NoisyTake:
    """``speech`` between half a second of silence each side, white noise added at
    ``snr_db`` below the speech's level (over its talking frames: within 30 dB of the
    loudest); pauses are frames 50 dB under the loudest."""
    pad = np.zeros(rate // 2)
    clean = np.concatenate([pad, mono(speech), pad])
    frame = int(BLOCK_S * rate)
    clean = clean[: len(clean) // frame * frame]
    frames = clean.reshape(-1, frame)
    energy = 10 * np.log10((frames**2).mean(axis=1) + 1e-12)
    talking, pause = energy > energy.max() - 30, energy < energy.max() - 50
    level = np.sqrt((frames[talking] ** 2).mean())
    noise = np.random.default_rng(0).standard_normal(len(clean)) * level / 10 ** (snr_db / 20)
    noisy = (clean + noise).astype(np.float32)[:, None]
    return NoisyTake(clean, noisy, talking, pause, frame)


def _db(x: Floats) -> float:
    return float(10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-20))


def noise_figures(
    take: NoisyTake, processed: npt.NDArray[np.floating], delay_samples: int
) -> tuple[float, float]:
    """(dB of noise taken out of the pauses, dB the speech's level moved) of ``processed``
    (the noisy take through a denoiser that delays it ``delay_samples``)."""
    n = len(take.clean)
    got = np.concatenate([mono(processed)[delay_samples:], np.zeros(delay_samples)])[:n]
    got_frames = got.reshape(-1, take.frame)
    noisy_frames = mono(take.noisy).reshape(-1, take.frame)
    clean_frames = take.clean.reshape(-1, take.frame)
    removed = _db(noisy_frames[take.pause]) - _db(got_frames[take.pause])
    speech = _db(got_frames[take.talking]) - _db(clean_frames[take.talking])
    return removed, speech
