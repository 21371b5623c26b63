"""Reading and writing the files a job swaps: videos through PyAV (FFmpeg's libraries ship
in its wheel), pictures through Pillow. Nothing here knows about faces: a video is passed
through ``process`` frame by frame (BGR arrays) and written as H.264 MP4 with the input's
timestamps, so the output has exactly its frames and frame rate; its audio is copied where
MP4 can hold the codec, else re-encoded to AAC.

Every failure a user can cause (a file that is not a video, a stream unreadable halfway)
is :class:`JobFailed` with a reason worded for them."""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np

from ar_backend.jobs.spec import JobFailed
from ar_backend.stages import Lap, StageMeter

log = logging.getLogger(__name__)

# audio codecs FFmpeg's MP4 muxer takes as they are (copied, not re-encoded)
MP4_AUDIO = frozenset({"aac", "mp3", "alac", "opus", "flac", "ac3", "eac3", "mp2", "mp1"})
AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)
VIDEO_OUT = frozenset({".mp4", ".m4v"})
IMAGE_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}
X264_PRESET = "veryfast"  # the face swap, not the encoder, should set a job's pace
LOST_FRAMES_ALLOWED = 0.005  # of the container's frame count (edit lists may trim a few)

AUDIO_COPIED = "copied"
AUDIO_AAC = "re-encoded to AAC"
AUDIO_NONE = "none"


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    frames_total: int | None  # the container's count, else estimated from the duration
    frames_exact: bool  # the count is the container's own (then a shortfall is damage)
    rate: Fraction | None  # average frame rate
    audio_codec: str | None
    rotation: int = 0  # the display rotation, degrees counterclockwise (a phone's portrait)


@dataclass(frozen=True)
class VideoOutcome:
    frames: int
    audio: str  # AUDIO_COPIED, AUDIO_AAC, AUDIO_NONE


MEDIA_ERRORS: tuple[type[Exception], ...] = (OSError, av.error.FFmpegError)


def reason(exc: BaseException) -> str:
    """An OS or FFmpeg error in words (without the path FFmpeg appends)."""
    return _ffmpeg_reason(exc)


def _ffmpeg_reason(exc: BaseException) -> str:
    """FFmpeg's own words without the path it appends (the user knows which file)."""
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).split(": '", 1)[0].strip() or exc.__class__.__name__


def _open_input(path: Path) -> Any:
    if not path.is_file():
        raise JobFailed(f"no such file: {path}")
    if path.stat().st_size == 0:
        raise JobFailed(f"not a video or picture: {path.name} is empty")
    try:
        return av.open(str(path), "r")
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise JobFailed(f"not a video or picture: {path.name} ({_ffmpeg_reason(exc)})") from None


def _rotation(path: Path) -> int:
    """The display rotation of ``path``'s video (its first frame's display matrix, as a
    phone records portrait video): 0, 90, 180 or 270 degrees counterclockwise."""
    try:
        with av.open(str(path), "r") as container:
            for frame in container.decode(video=0):
                return round(float(frame.rotation or 0) / 90) % 4 * 90
    except (av.error.FFmpegError, OSError, ValueError, StopIteration):
        pass
    return 0


def _info(vstream: Any, astream: Any, rotation: int = 0) -> VideoInfo:
    ctx = vstream.codec_context
    rate = vstream.average_rate or vstream.guessed_rate or None
    total: int | None = int(vstream.frames or 0) or None
    exact = total is not None
    if total is None and rate and vstream.duration and vstream.time_base:
        total = max(1, round(float(vstream.duration * vstream.time_base * rate)))
    elif total is None and rate and vstream.container.duration:
        total = max(1, round(vstream.container.duration / av.time_base * float(rate)))
    return VideoInfo(
        width=int(ctx.width),
        height=int(ctx.height),
        frames_total=total,
        frames_exact=exact,
        rate=Fraction(rate) if rate else None,
        audio_codec=astream.codec_context.name if astream is not None else None,
        rotation=rotation,
    )


def probe_video(path: Path) -> VideoInfo:
    """What the container says about ``path``'s video (JobFailed when it is not one)."""
    with _open_input(path) as container:
        if not container.streams.video:
            raise JobFailed(f"not a video or picture: {path.name} has no video stream")
        audio = container.streams.audio[0] if container.streams.audio else None
        return _info(container.streams.video[0], audio, _rotation(path))


class _Timestamps:
    """Each output frame's pts, in the input stream's time base: the input frame's own
    (so the output keeps its timing, variable rates too), made strictly increasing, or
    counted from the frame rate where the input has none."""

    def __init__(self, time_base: Fraction, rate: Fraction | None) -> None:
        self.time_base = time_base
        self.step = max(1, round(1 / (rate * time_base))) if rate else 1
        self.last: int | None = None

    def __call__(self, pts: int | None) -> int:
        if pts is None:
            pts = 0 if self.last is None else self.last + self.step
        elif self.last is not None and pts <= self.last:
            pts = self.last + 1
        self.last = pts
        return pts


def transcode_video(
    src: Path,
    dst: Path,
    *,
    crf: int,
    process: Callable[[np.ndarray], np.ndarray],
    on_open: Callable[[VideoInfo], None] | None = None,
) -> VideoOutcome:
    """Write ``src`` to ``dst`` (MP4, whatever its name) with each video frame passed through
    ``process``; exceptions from ``process`` (a cancel) propagate, ``dst`` then holds a
    partial file for the caller to remove."""
    with _open_input(src) as container:
        if not container.streams.video:
            raise JobFailed(f"not a video or picture: {src.name} has no video stream")
        vin = container.streams.video[0]
        ain = container.streams.audio[0] if container.streams.audio else None
        info = _info(vin, ain, _rotation(src))
        if info.width <= 0 or info.height <= 0:
            raise JobFailed(f"the video stream of {src.name} has no picture size")
        vin.thread_type = "AUTO"
        if on_open is not None:
            on_open(info)
        with av.open(str(dst), "w", format="mp4") as out:
            return _transcode(container, vin, ain, out, info, crf, process)


def h264_stream(
    out: Any,
    width: int,
    height: int,
    *,
    rate: Fraction,
    time_base: Fraction,
    crf: int,
    preset: str = X264_PRESET,
    rotation: int = 0,
    keyframe_s: float | None = None,
    tune: str | None = None,
) -> Any:
    """Add the H.264 video stream (yuv420p, CRF, x264 ``preset``) every writer here uses:
    file jobs and live recordings. Odd sides are rounded up (frames are padded by the
    caller); ``keyframe_s``: at most that long between keyframes (a recording's fragments);
    ``tune``: x264's (``zerolatency`` for live: no B-frames, so no reordering delay)."""
    vout = out.add_stream("libx264", rate=rate)
    vout.width, vout.height = width + width % 2, height + height % 2
    vout.pix_fmt = "yuv420p"
    vout.time_base = time_base
    vout.codec_context.time_base = time_base
    vout.options = {"crf": str(crf), "preset": preset, **({"tune": tune} if tune else {})}
    if keyframe_s is not None:
        vout.codec_context.gop_size = max(1, round(float(rate) * keyframe_s))
    if rotation:  # frames are kept as stored, shown turned as the input's are
        vout.set_display_rotation(rotation if rotation <= 180 else rotation - 360)
    return vout


def _video_stream(out: Any, vin: Any, info: VideoInfo, crf: int) -> Any:
    time_base = vin.time_base or (1 / info.rate if info.rate else Fraction(1, 25))
    return h264_stream(
        out,
        info.width,
        info.height,
        rate=info.rate or Fraction(25),
        time_base=time_base,
        crf=crf,
        rotation=info.rotation,
    )


def _audio_stream(out: Any, ain: Any) -> tuple[Any, str]:
    name = ain.codec_context.name
    if name in MP4_AUDIO:
        try:
            return out.add_stream_from_template(ain), AUDIO_COPIED
        except (av.error.FFmpegError, ValueError) as exc:
            log.info("audio %s not copied (%s): re-encoded to AAC", name, exc)
    ctx = ain.codec_context
    rate = ctx.sample_rate if ctx.sample_rate in AAC_RATES else 48000
    layout = "stereo" if ctx.channels >= 2 else "mono"
    aout = out.add_stream("aac", rate=rate, layout=layout)
    return aout, AUDIO_AAC


def _decoded(packet: Any, what: str, frames_done: int) -> Iterator[Any]:
    try:
        yield from packet.decode()
    except av.error.FFmpegError as exc:
        raise JobFailed(
            f"the {what} stream is unreadable at frame {frames_done}: {_ffmpeg_reason(exc)}"
        ) from None


def lower_this_thread(nice: int) -> None:
    """This thread (and the threads it starts from now on: x264's own, once the encoder opens
    on it) runs ``nice`` steps below the rest of the process (Linux: nice is a thread's
    own); elsewhere, or where it is refused, nothing changes."""
    if nice <= 0 or not hasattr(os, "setpriority"):
        return
    with contextlib.suppress(OSError):
        now = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, now + nice))


class EncodeThread:
    """Encodes and muxes in a thread of its own (FFmpeg's encoder runs without the GIL), so
    the encoder works beside the face swap. Its queue is short: a slow encoder holds the
    reading back, and memory stays a few frames. It owns ``out`` until :meth:`close`."""

    DEPTH = 6

    def __init__(
        self,
        out: Any,
        vout: Any,
        aout: Any,
        stages: StageMeter | None = None,
        nice: int = 0,
    ) -> None:
        """``nice``: the thread (and the encoder's own threads) that much below the rest of
        the process: a live recording's encoder yields to the live path."""
        self.out, self.vout, self.aout = out, vout, aout
        self.nice = nice
        # "encode": each video frame's conversion, encoding and muxing (this thread's CPU:
        # x264's own frame threads are not in it)
        self.stages = stages
        self.time_base = vout.codec_context.time_base
        self.queue: queue.Queue[tuple[str, Any] | None] = queue.Queue(self.DEPTH)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="job-encode", daemon=True)
        self.thread.start()

    def put(self, kind: str, payload: Any) -> None:
        """Queue a ``video`` frame (image, pts), a copied ``packet`` or an ``audio`` frame;
        waits while the queue is full (``offer`` does not)."""
        while True:
            self._raise()
            try:
                self.queue.put((kind, payload), timeout=0.2)
                return
            except queue.Full:
                continue

    def offer(self, kind: str, payload: Any) -> bool:
        """``put`` unless the queue is full (False: the item was not taken): a live writer
        skips a frame rather than hold its caller."""
        self._raise()
        try:
            self.queue.put_nowait((kind, payload))
        except queue.Full:
            return False
        return True

    def close(self, *, flush: bool) -> None:
        """End the thread: with ``flush``, after the encoders' last frames are written (an
        error the thread met is raised); else at once, the rest dropped."""
        if flush:
            self.put("flush", None)
        else:
            with contextlib.suppress(queue.Empty):
                while True:
                    self.queue.get_nowait()
        while self.thread.is_alive():
            with contextlib.suppress(queue.Full):
                self.queue.put(None, timeout=0.2)
                break
        self.thread.join()
        if flush:
            self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        lower_this_thread(self.nice)  # before the encoder opens (on its first frame)
        try:
            while (item := self.queue.get()) is not None:
                kind, payload = item
                if kind == "video":
                    lap = Lap()
                    image, pts = payload
                    frame = av.VideoFrame.from_ndarray(image, format="bgr24")
                    frame.pts, frame.time_base = pts, self.time_base
                    self.out.mux(self.vout.encode(frame))
                    if self.stages is not None:
                        self.stages.lap("encode", lap)
                elif kind == "packet":
                    self.out.mux(payload)
                elif kind == "audio":
                    self.out.mux(self.aout.encode(payload))
                elif kind == "flush":
                    self.out.mux(self.vout.encode(None))
                    if self.aout is not None:
                        self.out.mux(self.aout.encode(None))
        except BaseException as exc:  # raised in the reading thread by put() or close()
            if isinstance(exc, av.error.FFmpegError):
                exc = JobFailed(f"the output cannot be written: {_ffmpeg_reason(exc)}")
            self.error = exc
            with contextlib.suppress(queue.Empty):  # unblock a put() waiting for room
                while True:
                    self.queue.get_nowait()


def _transcode(
    container: Any,
    vin: Any,
    ain: Any,
    out: Any,
    info: VideoInfo,
    crf: int,
    process: Callable[[np.ndarray], np.ndarray],
) -> VideoOutcome:
    vout = _video_stream(out, vin, info, crf)
    aout, audio = _audio_stream(out, ain) if ain is not None else (None, AUDIO_NONE)
    writer = EncodeThread(out, vout, aout if audio == AUDIO_AAC else None)
    flush = False
    try:
        frames = _pump(container, vin, ain, aout, audio, info, writer, process)
        flush = True
    finally:
        writer.close(flush=flush)
    return VideoOutcome(frames, audio)


def _pump(
    container: Any,
    vin: Any,
    ain: Any,
    aout: Any,
    audio: str,
    info: VideoInfo,
    writer: EncodeThread,
    process: Callable[[np.ndarray], np.ndarray],
) -> int:
    """Read, decode and swap every frame, handing them to ``writer``; the frame count.
    ``process`` sees each frame as it is shown (turned upright by the display rotation)."""
    turns = info.rotation // 90
    stamp = _Timestamps(writer.time_base, info.rate)
    pad = (writer.vout.width != info.width, writer.vout.height != info.height)
    frames = 0
    streams = [s for s in (vin, ain) if s is not None]
    demuxed = container.demux(*streams)
    while True:
        try:
            packet = next(demuxed)
        except StopIteration:
            break
        except av.error.FFmpegError as exc:
            raise JobFailed(
                f"the video stream is unreadable at frame {frames}: {_ffmpeg_reason(exc)}"
            ) from None
        if packet.stream is vin:
            for frame in _decoded(packet, "video", frames):
                image = frame.to_ndarray(format="bgr24")
                if turns:
                    image = np.rot90(process(np.ascontiguousarray(np.rot90(image, turns))), -turns)
                    image = np.ascontiguousarray(image)
                else:
                    image = process(image)
                if any(pad):  # H.264 in yuv420p wants even sides: repeat the last row/column
                    image = np.pad(image, ((0, pad[1]), (0, pad[0]), (0, 0)), mode="edge")
                writer.put("video", (image, stamp(frame.pts)))
                frames += 1
        elif aout is not None and audio == AUDIO_COPIED:
            if packet.dts is None or packet.size == 0:
                continue  # the demuxer's flush packet
            packet.stream = aout
            writer.put("packet", packet)
        elif aout is not None:
            for frame in _decoded(packet, "audio", frames):
                writer.put("audio", frame)
    if frames == 0:
        raise JobFailed(f"no frames: {info.width}x{info.height} video stream holds none")
    if info.frames_exact and info.frames_total is not None:
        missing = info.frames_total - frames
        if missing > max(1, info.frames_total * LOST_FRAMES_ALLOWED):
            raise JobFailed(
                f"the video stream is unreadable at frame {frames}: the file ends there "
                f"({info.frames_total} frames expected; cut short or damaged)"
            )
    return frames


# ---- pictures ---------------------------------------------------------------------------------


@dataclass
class Picture:
    image: np.ndarray  # BGR, upright (EXIF orientation applied)
    alpha: np.ndarray | None  # its transparency, kept for the output
    format: str  # Pillow's name: JPEG, PNG, WEBP


def read_picture(path: Path) -> Picture:
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not path.is_file():
        raise JobFailed(f"no such file: {path}")
    try:
        with Image.open(path) as opened:
            fmt = opened.format or ""
            upright = ImageOps.exif_transpose(opened)
            has_alpha = upright.mode in ("RGBA", "LA", "PA") or (
                upright.mode == "P" and "transparency" in upright.info
            )
            rgba = upright.convert("RGBA" if has_alpha else "RGB")
    except Image.DecompressionBombError:
        raise JobFailed(f"the picture {path.name} is too large to swap") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        reason = "not a readable image" if isinstance(exc, UnidentifiedImageError) else str(exc)
        raise JobFailed(f"not a video or picture: {path.name} ({reason})") from None
    if fmt not in ("JPEG", "PNG", "WEBP", "MPO"):
        raise JobFailed(f"not a JPEG, PNG or WebP picture: {path.name} is {fmt or 'unknown'}")
    pixels = np.asarray(rgba)
    alpha = pixels[..., 3].copy() if has_alpha else None
    bgr = np.ascontiguousarray(pixels[..., 2::-1])
    return Picture(bgr, alpha, "JPEG" if fmt == "MPO" else fmt)


def write_picture(dst: Path, image: np.ndarray, alpha: np.ndarray | None, fmt: str) -> None:
    """``image`` (BGR) to ``dst`` in ``fmt`` (JPEG, PNG, WEBP), whatever ``dst`` is named."""
    from PIL import Image

    rgb = np.ascontiguousarray(image[..., ::-1])
    if alpha is not None and fmt in ("PNG", "WEBP"):
        picture = Image.fromarray(np.dstack([rgb, alpha]), "RGBA")
    else:
        picture = Image.fromarray(rgb, "RGB")
    params: dict[str, Any] = {"JPEG": {"quality": 95}, "WEBP": {"quality": 95}}.get(fmt, {})
    picture.save(dst, format=fmt, **params)
