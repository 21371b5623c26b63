"""How many pixels a picture or a video's frames hold, read before anything is decoded, and
the one check every way in uses: ``POST /media``, image and video sources, file jobs and
backgrounds (``media.max_megapixels``).

A small file can declare a huge picture: a 2.6 MB PNG of 30000x30000 px decodes to 2.7 GB,
and a 140 KB video of 15000x15000 px frames took OpenCV 16 s and 1.4 GB per frame. So the
size is read from the header (Pillow opens a picture lazily; PyAV probes a video with its
decoders capped at the limit, so a frame over it is refused by FFmpeg before it is
allocated) and refused over the limit, with a message naming it.

Callers name the request field at fault (``exc.field``) and answer 413.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.messages import KeyedError, Message, msg

LIMIT_KEY = "media.max_megapixels"
MAX_STREAMS = 256  # streams of a file whose decoders are capped (more are never seen)


class TooManyPixels(KeyedError):
    """A picture or video frame over the limit (or whose size cannot be read within it)."""

    def __init__(self, message: Message, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class SizeUnreadable(KeyedError):
    """Not a picture or video whose size can be read at all."""

    def __init__(self, message: Message, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class PixelLimit:
    """The most pixels a picture or a video frame may hold (``media.max_megapixels``)."""

    megapixels: float
    key: str = LIMIT_KEY

    @property
    def max_pixels(self) -> int:
        return int(self.megapixels * 1e6)

    def refuse(self, what: str, width: int, height: int, field: str | None) -> TooManyPixels:
        return TooManyPixels(
            msg(
                f"{what}.too_many_pixels",
                width=width,
                height=height,
                megapixels=width * height / 1e6,
                limit_megapixels=self.megapixels,
                key=self.key,
            ),
            field,
        )


def picture_size(source: Path | bytes, name: str = "the picture") -> tuple[int, int] | None:
    """``(width, height)`` from a picture's header (nothing decoded), also for one that
    claims more pixels than Pillow will open (its decompression-bomb guard: the size is then
    read by its format's header reader alone); None when even that cannot say;
    :class:`SizeUnreadable` for a file Pillow does not know as a picture."""
    from PIL import Image, UnidentifiedImageError

    opened = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with warnings.catch_warnings():  # (Pillow warns past half its guard: we decide)
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(opened) as probe:
                width, height = probe.size
    except Image.DecompressionBombError:
        return _declared_size(source)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        detail = "not a known picture format" if isinstance(exc, UnidentifiedImageError) else ""
        raise SizeUnreadable(
            msg("picture.unreadable", name=name, detail=detail or type(exc).__name__)
        ) from None
    return int(width), int(height)


def _declared_size(source: Path | bytes) -> tuple[int, int] | None:
    """The size a picture's header declares, read as ``Image.open`` reads it but without its
    decompression-bomb guard (a format's reader parses the header only; nothing is decoded):
    so a 30000x30000 px PNG is said as such, not as "more than the limit"."""
    from PIL import Image

    Image.init()
    with io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb") as fp:
        prefix = fp.read(16)
        for kind in Image.ID:
            factory, accept = Image.OPEN[kind]
            known = accept(prefix) if accept is not None else True
            if not known or isinstance(known, str):  # (a str: Pillow's warning, not this)
                continue
            fp.seek(0)
            try:
                with factory(fp, "") as probe:
                    width, height = probe.size
            except (SyntaxError, IndexError, TypeError, struct.error, OSError, ValueError):
                continue
            return int(width), int(height)
    return None


def check_picture(
    source: Path | bytes, limit: PixelLimit, *, name: str = "the picture", field: str | None = None
) -> tuple[int, int]:
    """The picture's size, or :class:`TooManyPixels` over ``limit`` (before decoding)."""
    size = picture_size(source, name)
    if size is None:
        raise TooManyPixels(
            msg(
                "picture.too_many_pixels_unknown",
                limit_megapixels=limit.megapixels,
                key=limit.key,
            ),
            field,
        )
    width, height = size
    if width * height > limit.max_pixels:
        raise limit.refuse("picture", width, height, field)
    return width, height


def check_video(
    path: Path, limit: PixelLimit, *, name: str | None = None, field: str | None = None
) -> tuple[int, int]:
    """The size of a video's frames, probed with FFmpeg's decoders capped at ``limit``
    (``max_pixels``): :class:`TooManyPixels` over it, or when its frames cannot be read
    within it; :class:`SizeUnreadable` for a file with no video stream FFmpeg reads."""
    import av
    import av.error

    label = name or path.name
    # decoder options per stream, by index (the video may come after audio streams);
    # PyAV's stubs say list[str], it takes dicts
    capped: Any = [{"max_pixels": str(limit.max_pixels)}] * MAX_STREAMS
    try:
        with av.open(os.fspath(path), "r", stream_options=capped) as container:
            if not container.streams.video:
                raise SizeUnreadable(msg("video.unreadable", name=label, detail="no video stream"))
            context = container.streams.video[0].codec_context
            width, height = int(context.width), int(context.height)
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        detail = getattr(exc, "strerror", None) or type(exc).__name__
        raise SizeUnreadable(msg("video.unreadable", name=label, detail=str(detail))) from None
    if width <= 0 or height <= 0:
        # the decoder refused the first frame at the cap (FFmpeg then forgets the size)
        raise TooManyPixels(
            msg(
                "video.size_unknown",
                name=label,
                limit_megapixels=limit.megapixels,
                key=limit.key,
            ),
            field,
        )
    if width * height > limit.max_pixels:
        raise limit.refuse("video", width, height, field)
    return width, height
