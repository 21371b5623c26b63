"""What a file job is (:class:`JobSpec`), how it reports (:class:`Progress`), how it ends
(:class:`JobResult`, :class:`JobFailed`, :class:`JobCancelled`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ar_backend.config import DEFAULT_MAX_MEGAPIXELS, BackgroundConfig, FaceOptions

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi"})
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp"})
QUALITY_MIN, QUALITY_MAX = 0, 51


class JobCancelled(Exception):
    """The job saw a cancel and stopped; its partial output is removed."""

    def __init__(self, reason: str = "cancelled") -> None:
        super().__init__(reason)
        self.reason = reason


class JobFailed(Exception):
    """The job cannot finish, for a reason a user understands (shown as it is)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class JobSpec:
    """One file to swap. ``output_path`` is only ever written complete: the job writes a
    temporary file in the same folder and renames it (``os.replace``) when done."""

    input_path: Path
    output_path: Path
    face_path: Path  # a picture holding the source face
    face_index: int | None = None  # which face of that picture, 0 = the leftmost
    engine: str = "classic"
    options: FaceOptions = field(default_factory=FaceOptions)
    quality: int = 20  # H.264 CRF: 0 best .. 51 worst (bounded)
    max_megapixels: float = DEFAULT_MAX_MEGAPIXELS  # media.max_megapixels: larger is refused
    background: BackgroundConfig = field(default_factory=BackgroundConfig)  # behind the person
    background_path: Path | None = None  # image mode's picture (its file, checked already)

    def __post_init__(self) -> None:
        for name in ("input_path", "output_path", "face_path", "background_path"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Path):
                object.__setattr__(self, name, Path(value))
        bounded = min(QUALITY_MAX, max(QUALITY_MIN, int(self.quality)))
        object.__setattr__(self, "quality", bounded)


@dataclass
class Progress:
    frames_done: int
    frames_total: int | None  # from the container; None when it does not say
    fps: float  # frames per second of the job so far
    eta_s: float | None  # seconds left, when the total is known
    frames_swapped: int  # frames in which at least one face was swapped
    frames_guarded: int = 0  # frames with a face that could not be swapped: blurred there
    frames_faceless: int = 0  # frames with no face found

    @property
    def swapped_share(self) -> float | None:
        """Share of the frames done that had a face swapped (None before the first)."""
        if self.frames_done <= 0:
            return None
        return self.frames_swapped / self.frames_done

    def as_dict(self) -> dict[str, Any]:
        return {
            "frames_done": self.frames_done,
            "frames_total": self.frames_total,
            "fps": round(self.fps, 2),
            "eta_s": None if self.eta_s is None else round(self.eta_s, 1),
            "frames_swapped": self.frames_swapped,
            "frames_guarded": self.frames_guarded,
            "frames_faceless": self.frames_faceless,
            "swapped_share": (None if self.swapped_share is None else round(self.swapped_share, 4)),
        }


@dataclass
class JobResult:
    output_path: Path
    frames: int
    frames_swapped: int
    fps: float  # frames per second of the job
    seconds: float  # wall time of the job
    audio: str  # "copied", "re-encoded to AAC", "none"
    frames_guarded: int = 0  # frames with a face that could not be swapped: blurred there
    frames_faceless: int = 0  # frames with no face found

    @property
    def notice(self) -> str | None:
        """What a person should know about the output, or None."""
        return guarded_notice(self.frames_guarded)

    def as_dict(self) -> dict[str, Any]:
        return {
            "output_path": str(self.output_path),
            "frames": self.frames,
            "frames_swapped": self.frames_swapped,
            "frames_guarded": self.frames_guarded,
            "frames_faceless": self.frames_faceless,
            "notice": self.notice,
            "fps": round(self.fps, 2),
            "seconds": round(self.seconds, 3),
            "audio": self.audio,
        }


def guarded_notice(frames_guarded: int | None) -> str | None:
    """The job's notice when some frames had a face that could not be swapped."""
    if not frames_guarded:
        return None
    return (
        f"{frames_guarded} frame(s) had a face that could not be swapped (mostly out of the "
        "picture, covered or turned away): it was blurred there, never left as it was"
    )


def media_kind(path: Path) -> str:
    """``"video"`` or ``"image"`` by the file's extension; :class:`JobFailed` otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return "video"
    if suffix in IMAGE_SUFFIXES:
        return "image"
    known = ", ".join(sorted(VIDEO_SUFFIXES | IMAGE_SUFFIXES))
    raise JobFailed(f"not a video or picture: {Path(path).name} (known: {known})")
