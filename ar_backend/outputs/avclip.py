"""The A/V sync check: a clip with a white flash and a click together every ``period`` s, and
what a recording of it measures (each click against its flash, the take's length). The
A/V benchmark and the recording tests use both; nothing live calls them."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

AUDIO_RATE = 48000
FLASH_S = 0.25  # long enough that a live rate of a few fps still shows it
CLICK_S = 0.012
CLICK_HZ = 1000.0


def write_flash_clip(
    path: Path,
    *,
    seconds: float = 10.0,
    size: tuple[int, int] = (1920, 1080),
    fps: int = 60,
    period: float = 2.0,
    first: float = 1.0,
) -> list[float]:
    """H.264 + AAC ``path``: dark frames with a white flash (``FLASH_S`` long) and a
    tone burst starting together at ``first``, ``first + period``, ...; the flash times."""
    times = [float(t) for t in np.arange(first, seconds - 0.1, period)]
    lit = round(FLASH_S * fps)
    flash_frames = {round(t * fps) + k for t in times for k in range(lit)}
    dark = np.full((size[1], size[0], 3), 24, np.uint8)
    white = np.full((size[1], size[0], 3), 235, np.uint8)
    n_audio = int(seconds * AUDIO_RATE)
    sound = np.zeros(n_audio, np.float32)
    burst_t = np.arange(int(CLICK_S * AUDIO_RATE)) / AUDIO_RATE
    burst = (0.8 * np.sin(2 * np.pi * CLICK_HZ * burst_t) * np.hanning(len(burst_t))).astype(
        np.float32
    )
    for t in times:
        start = round(t * AUDIO_RATE)
        sound[start : start + len(burst)] = burst[: n_audio - start]
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
        video.options = {"preset": "ultrafast", "crf": "28"}
        audio = out.add_stream("aac", rate=AUDIO_RATE, layout="mono")
        for i in range(round(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(white if i in flash_frames else dark, "bgr24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            out.mux(video.encode(frame))
        step = 1024
        for i in range(0, n_audio, step):
            chunk = av.AudioFrame.from_ndarray(sound[None, i : i + step], "fltp", "mono")
            chunk.sample_rate, chunk.pts = AUDIO_RATE, i
            chunk.time_base = Fraction(1, AUDIO_RATE)
            out.mux(audio.encode(chunk))
        out.mux(video.encode(None))
        out.mux(audio.encode(None))
    return times


@dataclass(frozen=True)
class TakeMeasure:
    """What a recording of the flash clip shows."""

    video_seconds: float  # first frame to the last (a recording holds its last at the stop)
    audio_seconds: float | None
    frames: int
    flashes: list[float]  # onset times, s from the file's start
    clicks: list[float]
    offsets_ms: list[float]  # each click less its flash, where the flash's onset is timed
    frame_ms: float  # the median spacing of the frames: how finely a flash can be timed

    @property
    def worst_ms(self) -> float | None:
        return max((abs(o) for o in self.offsets_ms), default=None)


def _onsets(
    times: npt.NDArray[np.float64], on: npt.NDArray[np.bool_], gap: float
) -> list[tuple[float, float]]:
    """Each onset (a time ``on`` turns true, ``gap`` after the last) with how long before
    it the signal was last seen off (its uncertainty: a dropped frame makes it larger)."""
    found: list[tuple[float, float]] = []
    for i, (t, lit) in enumerate(zip(times, on, strict=True)):
        if lit and (not found or t - found[-1][0] > gap):
            before = float(t - times[i - 1]) if i > 0 and not on[i - 1] else float("inf")
            found.append((float(t), before))
    return found


def measure_take(path: Path, period: float = 2.0) -> TakeMeasure:
    """Flash and click onsets in a recording and how far apart each pair is."""
    with av.open(str(path), "r") as container:
        vstream = container.streams.video[0]
        times, levels = [], []
        vbase = vstream.time_base or Fraction(1, 90000)
        for picture in container.decode(vstream):
            if picture.pts is None:
                continue
            gray = picture.to_ndarray(format="gray")[::8, ::8]
            times.append(float(picture.pts * vbase))
            levels.append(float(gray.mean()))
    t = np.array(times)
    order = np.argsort(t)
    t, lv = t[order], np.array(levels)[order]
    frame_s = float(np.median(np.diff(t))) if len(t) > 1 else 0.0
    video_seconds = float(t[-1] - t[0]) if len(t) else 0.0
    seen = _onsets(t, lv > (lv.min() + lv.max()) / 2, period / 2) if len(t) else []
    flashes = [onset for onset, _ in seen]
    # a flash is timed when the frame before it was recorded (not dropped): its onset is
    # then known to within one frame
    timed = [onset for onset, before in seen if before <= 1.5 * frame_s]
    clicks: list[float] = []
    audio_seconds = None
    with av.open(str(path), "r") as container:
        if container.streams.audio:
            astream = container.streams.audio[0]
            pieces, start = [], None
            abase = astream.time_base or Fraction(1, AUDIO_RATE)
            for sound in container.decode(astream):
                if start is None and sound.pts is not None:
                    start = float(sound.pts * abase)
                pieces.append(sound.to_ndarray().mean(axis=0))
            if pieces:
                rate = astream.codec_context.sample_rate
                wave = np.concatenate(pieces)
                audio_seconds = len(wave) / rate
                level = np.convolve(np.abs(wave), np.ones(96) / 96, mode="same")
                at = (start or 0.0) + np.arange(len(wave)) / rate
                if level.max() > 0.01:
                    clicks = [c for c, _ in _onsets(at, level > 0.3 * level.max(), period / 2)]
    offsets = []
    for c in clicks:
        nearest = min(timed, key=lambda f: abs(f - c), default=None)
        if nearest is not None and abs(nearest - c) < period / 2:
            offsets.append(round((c - nearest) * 1000, 1))
    return TakeMeasure(
        video_seconds, audio_seconds, len(t), flashes, clicks, offsets, round(frame_s * 1000, 1)
    )
