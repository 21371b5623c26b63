"""Test clips: a real face moving across the frame, with a sine tone as its AAC audio track,
written with PyAV; and the ground truth (the face's box in every frame)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from ar_backend.face import samples

# scikit-image's astronaut: her face (as dlib finds it) in the 512x512 photo
ASTRONAUT_FACE = np.array([175.0, 76.0, 265.0, 166.0])
CROP = (0, 300, 70, 370)  # y0, y1, x0, x1: her head and shoulders
SCALE = 1.3


@dataclass
class Clip:
    path: Path
    frames: int
    fps: int
    size: tuple[int, int]  # width, height
    boxes: list[np.ndarray]  # the face's box in each frame (x0, y0, x1, y1); [] if none
    tone_hz: float
    sample_rate: int

    @property
    def seconds(self) -> float:
        return self.frames / self.fps


def background(width: int, height: int) -> np.ndarray:
    """A still, textured background (a gradient with a few shapes): codecs keep it well."""
    yy, xx = np.mgrid[0:height, 0:width]
    image = np.empty((height, width, 3), np.uint8)
    image[..., 0] = (60 + 120 * xx / width).astype(np.uint8)
    image[..., 1] = (90 + 60 * yy / height).astype(np.uint8)
    image[..., 2] = 110
    cv2.rectangle(image, (30, 300), (180, 450), (40, 160, 200), -1)
    cv2.circle(image, (540, 110), 60, (200, 200, 220), -1)
    cv2.line(image, (0, 470), (width, 380), (20, 20, 20), 6)
    return image


def frame_at(
    i: int,
    frames: int,
    width: int,
    height: int,
    patch: np.ndarray,
    back: np.ndarray,
    scale: float = SCALE,
    through: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Frame ``i``: the patch (her head) moving left to right, bobbing (``through``: in from
    past the left edge and out past the right one); and her face's box."""
    ph, pw = patch.shape[:2]
    t = i / max(frames - 1, 1)
    x = round((width - pw) * t) if not through else round(-pw + (width + pw) * t)
    y = round((height - ph) / 2 + 0.4 * (height - ph) / 2 * np.sin(2 * np.pi * t))
    image = back.copy()
    x0, x1 = max(0, x), min(width, x + pw)
    if x1 > x0:
        image[y : y + ph, x0:x1] = patch[:, x0 - x : x1 - x]
    face = (ASTRONAUT_FACE - [CROP[2], CROP[0], CROP[2], CROP[0]]) * scale
    return image, face + np.array([x, y, x, y])


def make_clip(
    path: Path,
    *,
    seconds: float = 3.0,
    size: tuple[int, int] = (640, 480),
    fps: int = 25,
    tone_hz: float = 440.0,
    sample_rate: int = 48000,
    audio: str | None = "aac",
    faststart: bool = False,
    face: bool = True,
    rotation: int = 0,
    scale: float = SCALE,
    through: bool = False,
) -> Clip:
    """An H.264 MP4 (a MOV when ``path`` ends .mov) of the astronaut's head moving across a
    still background (``face=False``: the background alone), with a sine tone (``tone_hz``)
    lasting as long as the video as its audio track, in the ``audio`` codec (None: none).
    ``rotation`` (degrees counterclockwise): each frame is stored turned the other way, with
    that display rotation, as a phone stores portrait video; the boxes are as shown.
    ``scale``: her head's size (0.5: a wide shot, her face 45 px across, head and shoulders
    in view); ``through``: she comes in past the left edge and leaves past the right one."""
    width, height = size
    y0, y1, x0, x1 = CROP
    patch = cv2.resize(
        samples.astronaut()[y0:y1, x0:x1], None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA
    )
    back = background(width, height)
    frames = round(seconds * fps)
    boxes: list[np.ndarray] = []
    options = {"movflags": "+faststart"} if faststart else {}
    fmt = "mov" if path.suffix.lower() == ".mov" else "mp4"
    with av.open(str(path), "w", format=fmt, options=options) as out:
        video = out.add_stream("libx264", rate=fps)
        turns = rotation // 90
        stored_w, stored_h = (height, width) if turns % 2 else (width, height)
        video.width, video.height, video.pix_fmt = stored_w, stored_h, "yuv420p"
        if rotation:
            video.set_display_rotation(rotation)
        video.options = {"crf": "16", "preset": "veryfast"}
        sound: av.AudioStream | None = None
        if audio:
            added = out.add_stream(audio, rate=sample_rate, layout="mono")
            assert isinstance(added, av.AudioStream)
            sound = added
        for i in range(frames):
            image, box = frame_at(i, frames, width, height, patch, back, scale, through)
            if face:
                boxes.append(box)
            else:
                image = back
            stored = np.ascontiguousarray(np.rot90(image, -turns)) if turns else image
            frame = av.VideoFrame.from_ndarray(stored, format="bgr24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if sound is not None:
            _tone(out, sound, round(frames / fps * sample_rate), tone_hz, sample_rate)
    return Clip(path, frames, fps, size, boxes, tone_hz, sample_rate)


def _tone(
    out: av.container.OutputContainer,
    sound: av.AudioStream,
    total: int,
    tone_hz: float,
    sample_rate: int,
) -> None:
    t = np.arange(total) / sample_rate
    wave = 0.5 * np.sin(2 * np.pi * tone_hz * t)
    sample_format = sound.codec_context.format.name  # fltp for AAC, s16 for PCM
    pcm: np.ndarray = (
        (wave * 32767).astype(np.int16)
        if sample_format.startswith("s16")
        else wave.astype(np.float32)
    )
    step = 1024
    for start in range(0, total, step):
        chunk = pcm[start : start + step]
        frame = av.AudioFrame.from_ndarray(chunk[None, :], format=sample_format, layout="mono")
        frame.sample_rate = sample_rate
        frame.pts = start
        frame.time_base = Fraction(1, sample_rate)
        out.mux(sound.encode(frame))
    out.mux(sound.encode(None))


def decode_frames(path: Path, *, upright: bool = False) -> list[np.ndarray]:
    """Every video frame of ``path`` as BGR: as stored, or ``upright`` (as shown: turned by
    the display rotation)."""
    with av.open(str(path)) as container:
        frames = []
        for f in container.decode(video=0):
            image = f.to_ndarray(format="bgr24")
            turns = round((f.rotation or 0) / 90) if upright else 0
            frames.append(np.ascontiguousarray(np.rot90(image, turns)) if turns else image)
        return frames


def rotation_of(path: Path) -> int:
    """The display rotation of ``path``'s video (degrees counterclockwise)."""
    with av.open(str(path)) as container:
        for f in container.decode(video=0):
            return int(f.rotation or 0)
    return 0


def decode_audio(path: Path) -> tuple[np.ndarray, int]:
    """The first audio track of ``path`` as mono float samples, and its sample rate."""
    chunks = []
    rate = 0
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            rate = frame.sample_rate
            data = frame.to_ndarray().astype(np.float64)
            if frame.format.is_planar:
                chunks.append(data.mean(axis=0))
            else:
                chunks.append(data.reshape(-1, len(frame.layout.channels)).mean(axis=1))
    return (np.concatenate(chunks) if chunks else np.zeros(0)), rate


def peak_hz(samples_: np.ndarray, rate: int) -> float:
    """The frequency with the most energy (numpy FFT)."""
    spectrum = np.abs(np.fft.rfft(samples_ * np.hanning(len(samples_))))
    return float(np.fft.rfftfreq(len(samples_), 1 / rate)[int(np.argmax(spectrum))])
