"""Swapping the face in a whole video or picture file: :func:`run_job`.

A file is not live: every frame gets a fresh detection (none is skipped, none waits for a
detector thread), and the tracker's temporal smoothing keeps the face from jittering
between frames. The faces are found and followed as live: MediaPipe's detector and mesh on
every frame when their files are there (face/live/follow.py), else dlib's detector on
every frame (face/live/tracker.py); a face found that cannot be swapped (mostly out of the
picture, covered, turned away) is blurred as the live privacy guard blurs it: no frame with a
face goes out with the face as it was. The job counts the frames swapped, guarded and
without a face, and says when any had to be guarded (``JobResult.notice``). The source face
is prepared from the picture exactly as the live swap prepares an upload (``FaceSwap``'s
decode limits and face choice).

With ``options.enhancer`` set, the swapped faces (only those) are restored by the face
enhancer too (ar_backend/face/enhancers), created in the job's process and closed at its end;
an enhancer that cannot run fails the job with the reason, and one that fails on a frame
fails it too (a file is never written with the enhancement silently missing).

With ``options.occlusion`` on, what is in front of the swapped faces (hands, a microphone, a
cup) is put back from the frame (ar_backend/face/occlusion; the palm detector looks on every
frame, a file is not live); without its model files the job runs without it, as the live
path does (the API and the CLI say so when the job is made). With ``background`` set, every
frame's background is blurred, a colour or a picture (ar_backend/background, the faces kept
whole); a background that cannot run fails the job with the reason, as the enhancer does.
Either failing on a frame fails the job.

The output is written under a temporary name in its folder (a hidden ``.<name>.<random>.part``
file) and renamed when complete, so a half-written file is never at ``output_path``; a cancel
or a failure removes it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ar_backend.background.compose import face_region
from ar_backend.background.render import BackgroundError, Renderer, Snapshot, read_picture
from ar_backend.config import FaceConfig, FaceOptions
from ar_backend.face.detect.base import model_files
from ar_backend.face.engines import Engine, create_engine
from ar_backend.face.enhancers import OFF as ENHANCER_OFF
from ar_backend.face.enhancers import Enhancer, create_enhancer
from ar_backend.face.errors import BadImage, FaceError
from ar_backend.face.faces import SourceFace, TargetFace, picture_faces
from ar_backend.face.imaging.images import decode_upload
from ar_backend.face.imaging.pixel_limit import (
    PixelLimit,
    SizeUnreadable,
    TooManyPixels,
    check_picture,
    check_video,
)
from ar_backend.face.live.follow import FaceFollower, mediapipe_follower
from ar_backend.face.live.guard import Guard
from ar_backend.face.live.tracker import FaceTracker
from ar_backend.face.occlusion.live import Occlusion
from ar_backend.face.people.source import prepare_picture
from ar_backend.jobs import media_io
from ar_backend.jobs.spec import JobCancelled, JobFailed, JobResult, JobSpec, Progress, media_kind
from shared.registry import UnknownName

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 0.25  # at most four progress reports a second (and one at the end)


def run_job(
    spec: JobSpec,
    face_cfg: FaceConfig,
    on_progress: Callable[[Progress], None],
    cancelled: Callable[[], bool],
    engine: Engine | None = None,
) -> JobResult:
    """Swap the face from ``spec.face_path`` into every frame of ``spec.input_path`` and
    write ``spec.output_path``. ``cancelled`` is polled before every frame; ``engine``, when
    given, is used (and left open), else one is created from ``spec.engine`` and closed.

    Raises :class:`JobCancelled` or :class:`JobFailed`; either way nothing is left at
    ``output_path`` or under a temporary name."""
    started = time.monotonic()
    kind = media_kind(spec.input_path)
    _check_paths(spec, kind)
    _check_pixels(spec, kind)
    own = engine is None
    active = _create_engine(spec.engine, face_cfg) if engine is None else engine
    enhancer: Enhancer | None = None
    backdrop: Backdrop | None = None
    try:
        if cancelled():
            raise JobCancelled()
        source = prepare_source(active, spec.face_path, spec.face_index, face_cfg)
        enhancer = _create_enhancer(spec.options.enhancer, face_cfg)
        follower, _why = mediapipe_follower(face_cfg)  # (else dlib's, as live)
        backdrop = _create_backdrop(spec, face_cfg)
        swapper = FileSwapper(
            active,
            source,
            spec.options,
            confirm=face_cfg.confirm_faces,
            enhancer=enhancer,
            follower=follower,
            occlusion=_create_occlusion(spec.options, face_cfg),
            backdrop=backdrop,
        )
        meter = _Meter(on_progress, started)
        with _partial(spec.output_path) as tmp:
            try:
                frames, audio = _write(spec, kind, tmp, swapper, meter, cancelled)
            except media_io.MEDIA_ERRORS as exc:  # a disk full, a file gone while read
                raise JobFailed(
                    f"the job stopped on a file error: {media_io.reason(exc)}"
                ) from None
            if swapper.frames_swapped == 0 and swapper.frames_guarded == 0:
                raise JobFailed(
                    "no face found anywhere in the file"
                    if kind == "video"
                    else "no face found in the picture"
                )
            os.replace(tmp, spec.output_path)
        seconds = time.monotonic() - started
        meter.report(final=True)
        log.info(
            "job done: %s -> %s, %d frames (%d swapped, %d guarded, %d with no face) in %.1f s",
            spec.input_path.name,
            spec.output_path.name,
            frames,
            swapper.frames_swapped,
            swapper.frames_guarded,
            swapper.frames_faceless,
            seconds,
        )
        return JobResult(
            output_path=spec.output_path,
            frames=frames,
            frames_swapped=swapper.frames_swapped,
            fps=frames / seconds if seconds > 0 else 0.0,
            seconds=seconds,
            audio=audio,
            frames_guarded=swapper.frames_guarded,
            frames_faceless=swapper.frames_faceless,
        )
    finally:
        if enhancer is not None:
            enhancer.close()
        if backdrop is not None:
            backdrop.renderer.close()
        if own:
            active.close()


def _write(
    spec: JobSpec,
    kind: str,
    tmp: Path,
    swapper: FileSwapper,
    meter: _Meter,
    cancelled: Callable[[], bool],
) -> tuple[int, str]:
    """The swapped file written to ``tmp``: its frames and what became of its audio."""
    if kind == "video":
        outcome = media_io.transcode_video(
            spec.input_path,
            tmp,
            crf=spec.quality,
            process=lambda image: _frame(swapper, swapper, meter, cancelled, image),
            on_open=lambda info: meter.total(info.frames_total),
        )
        return outcome.frames, outcome.audio
    meter.total(1)
    picture = media_io.read_picture(spec.input_path)
    image = _frame(swapper.still, swapper, meter, cancelled, picture.image)
    fmt = media_io.IMAGE_FORMATS[spec.output_path.suffix.lower()]
    media_io.write_picture(tmp, image, picture.alpha, fmt)
    return 1, media_io.AUDIO_NONE


# ---- the source face, the engine ---------------------------------------------------------------


def _create_engine(name: str, cfg: FaceConfig) -> Engine:
    try:
        return create_engine(name, cfg)
    except (FaceError, UnknownName) as exc:  # EngineUnavailable names the reason
        raise JobFailed(str(exc).strip("'\"")) from None


def _create_enhancer(name: str, cfg: FaceConfig) -> Enhancer | None:
    """The job's enhancer (None for ``off``); one that cannot run here fails the job."""
    if name == ENHANCER_OFF:
        return None
    try:
        return create_enhancer(name, cfg)
    except (FaceError, UnknownName) as exc:  # EnhancerUnavailable names the reason
        reason = str(exc).strip("'\"")
        raise JobFailed(f"options.enhancer: {reason}") from None


def _create_occlusion(options: FaceOptions, cfg: FaceConfig) -> Occlusion | None:
    """The job's occlusion (None when off): the palm detector on every frame. Without its
    model files the job runs without it, as the live path does, and logs why (the API and
    the CLI say so when the job is made: a job that asked for it is refused there)."""
    if options.occlusion == "off":
        return None
    occlusion = Occlusion(model_files(cfg), every=1)
    reason = occlusion.unavailable_reason()
    if reason:
        log.warning("occlusion is off for this job: %s", reason)
        return None
    return occlusion


@dataclass
class Backdrop:
    """A job's background: its settings (and picture), painted on every frame in order."""

    renderer: Renderer
    snap: Snapshot

    def paint(self, image: np.ndarray, faces: list[TargetFace]) -> np.ndarray:
        if self.snap.settings.mode == "off":
            return image
        keep = [face_region(face.points, face.box) for face in faces]
        return self.renderer.render(image, self.snap, keep)


def _create_backdrop(spec: JobSpec, cfg: FaceConfig) -> Backdrop | None:
    """The job's background (None when off): person segmentation opened, image mode's
    picture read within the face picture limits and media.max_megapixels; either failing
    fails the job."""
    settings, picture = spec.background, spec.background_path
    if settings.mode == "off":
        return None
    image = None
    if settings.mode == "image":
        if picture is None:
            raise JobFailed("background.image: image mode needs a picture")
        try:
            image = read_picture(
                picture,
                max_bytes=int(cfg.max_upload_mb * 1e6),
                max_side=cfg.max_side,
                limit=PixelLimit(spec.max_megapixels),
            )
        except (BadImage, TooManyPixels) as exc:
            raise JobFailed(f"background.image: {exc}") from None
    renderer = Renderer(model_files(cfg))
    try:
        renderer.ready()
    except BackgroundError as exc:
        raise JobFailed(f"background.{exc}") from None
    return Backdrop(renderer, Snapshot(settings, image))


def prepare_source(
    engine: Engine, path: Path, face_index: int | None, cfg: FaceConfig
) -> SourceFace:
    """The source face from the picture at ``path``, as the live swap loads an upload: the
    same size and decode limits, the same choice of face (``face_index``, 0 the leftmost;
    required when the picture has several)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise JobFailed(f"the face picture cannot be read: {path} ({exc.strerror})") from None
    try:
        image = decode_upload(data, cfg)
        # the live swap's own choice of face and errors (face/people/source.py)
        source, _info = prepare_picture(engine, image, face_index, path.name)
    except FaceError as exc:
        raise JobFailed(f"face picture {path.name}: {exc}") from None
    return source


# ---- one frame ------------------------------------------------------------------------------


class FileSwapper:
    """The swap for the frames of one file, in order: a fresh detection on every frame, the
    tracker's smoothing across them; the faces the live options choose (the largest, or
    every face with ``many_faces``) rendered from ``source``, then restored by ``enhancer``
    when there is one (at ``options.enhancer_strength``); those that cannot be swapped
    blurred. ``follower``: MediaPipe's (face/live/follow.py), else dlib's tracker."""

    def __init__(
        self,
        engine: Engine,
        source: SourceFace,
        options: FaceOptions,
        *,
        confirm: bool = True,
        enhancer: Enhancer | None = None,
        follower: FaceFollower | None = None,
        occlusion: Occlusion | None = None,
        backdrop: Backdrop | None = None,
    ) -> None:
        self.engine = engine
        self.source = source
        self.enhancer = enhancer
        self.occlusion = occlusion
        self.backdrop = backdrop
        self.options = options.model_copy(update={"detect_every": 1})
        self.tracker: FaceFollower | FaceTracker = follower or FaceTracker(
            detector=None, confirm=confirm
        )  # detection inline, on every frame
        self.guard = Guard("blur", 0.0)
        self.frames = 0
        self.frames_swapped = 0
        self.frames_guarded = 0
        self.frames_faceless = 0

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """The next frame of a video, swapped (a face that cannot be: blurred)."""
        faces = self.tracker.update(self.engine, image, self.options)
        suspects = [f.box for f in faces if f.extra.get("fails")]
        faces = [f for f in faces if not f.extra.get("fails")]  # as the live path: confirmed
        out = self._render(image, faces)
        if suspects:
            out = self.guard.apply(out, suspects)
            self.frames_guarded += 1
        elif faces:
            self.frames_swapped += 1
        else:
            self.frames_faceless += 1
        return self._paint(out, faces)

    def still(self, image: np.ndarray) -> np.ndarray:
        """A picture, swapped: its faces found as thoroughly as an uploaded face picture's
        (every face at full size, where a live frame's detection sees ``detect_size``)."""
        faces = picture_faces(self.engine, image)
        if faces and not self.options.many_faces:
            faces = [max(faces, key=lambda f: f.size)]
        out = self._render(image, faces)
        if faces:
            self.frames_swapped += 1
        else:
            self.frames_faceless += 1
        return self._paint(out, faces)

    def _paint(self, image: np.ndarray, faces: list[TargetFace]) -> np.ndarray:
        """The frame's background as the job asks (every frame, a face in it or not)."""
        if self.backdrop is None:
            return image
        try:
            return self.backdrop.paint(image, faces)
        except Exception as exc:  # never a frame with the background left as it was
            log.exception("background failed on frame %d", self.frames)
            raise JobFailed(
                f"the background failed at frame {self.frames - 1}: {exc.__class__.__name__}: {exc}"
            ) from None

    def _render(self, image: np.ndarray, faces: list[TargetFace]) -> np.ndarray:
        self.frames += 1
        if not faces:
            return image
        try:
            out = self.engine.render(image.copy(), faces, self.source, self.options)
        except Exception as exc:  # never a frame with the face left as it was, silently
            log.exception("face swap failed on frame %d", self.frames)
            raise JobFailed(
                f"the face swap failed at frame {self.frames - 1}: {exc.__class__.__name__}: {exc}"
            ) from None
        if self.enhancer is not None:
            try:
                out = self.enhancer.enhance(out, faces, self.options.enhancer_strength)
            except Exception as exc:  # never a frame left unenhanced, silently
                log.exception("face enhancer failed on frame %d", self.frames)
                raise JobFailed(
                    f"the face enhancer ({self.enhancer.name}) failed at frame "
                    f"{self.frames - 1}: {exc.__class__.__name__}: {exc}"
                ) from None
        if self.occlusion is not None:
            try:
                out = self.occlusion.put_back(image, out, faces)
            except Exception as exc:  # never a hand painted over, silently
                log.exception("occlusion failed on frame %d", self.frames)
                raise JobFailed(
                    f"occlusion failed at frame {self.frames - 1}: {exc.__class__.__name__}: {exc}"
                ) from None
        return out


class _Meter:
    """Counts frames and reports progress at most every PROGRESS_EVERY_S."""

    def __init__(self, on_progress: Callable[[Progress], None], started: float) -> None:
        self.on_progress = on_progress
        self.started = started
        self.frames_total: int | None = None
        self.done = 0
        self.swapped = 0
        self.guarded = 0
        self.faceless = 0
        self.last = 0.0

    def total(self, frames_total: int | None) -> None:
        self.frames_total = frames_total
        self.report(final=False, force=True)

    def frame(self, swapper: FileSwapper) -> None:
        self.done += 1
        self.swapped = swapper.frames_swapped
        self.guarded = swapper.frames_guarded
        self.faceless = swapper.frames_faceless
        if time.monotonic() - self.last >= PROGRESS_EVERY_S:
            self.report(final=False)

    def report(self, *, final: bool, force: bool = False) -> None:
        now = time.monotonic()
        self.last = now
        elapsed = now - self.started
        fps = self.done / elapsed if elapsed > 0 else 0.0
        total = self.frames_total
        if final:
            total = self.done  # the count, whatever the container claimed
        if total is not None and total < self.done:
            total = self.done  # the container's count was an estimate, short
        eta = None
        if total is not None and fps > 0:
            eta = max(0.0, (total - self.done) / fps)
        self.on_progress(
            Progress(self.done, total, fps, eta, self.swapped, self.guarded, self.faceless)
        )


def _frame(
    swap: Callable[[np.ndarray], np.ndarray],
    swapper: FileSwapper,
    meter: _Meter,
    cancelled: Callable[[], bool],
    image: np.ndarray,
) -> np.ndarray:
    if cancelled():
        raise JobCancelled()
    out = swap(image)
    meter.frame(swapper)
    return out


# ---- files ----------------------------------------------------------------------------------


def _check_pixels(spec: JobSpec, kind: str) -> None:
    """JobFailed for a file whose header declares more than ``spec.max_megapixels`` (checked
    at submit too; the file may have changed since), before anything is decoded."""
    limit = PixelLimit(spec.max_megapixels)
    try:
        if kind == "video":
            check_video(spec.input_path, limit)
        else:
            check_picture(spec.input_path, limit, name=spec.input_path.name)
    except TooManyPixels as exc:
        raise JobFailed(str(exc)) from None
    except SizeUnreadable:
        pass  # (reading it says what is wrong, in the job's own words)


def _check_paths(spec: JobSpec, kind: str) -> None:
    out = spec.output_path
    if not spec.input_path.is_file():
        raise JobFailed(f"no such file: {spec.input_path}")
    if not spec.face_path.is_file():
        raise JobFailed(f"no such face picture: {spec.face_path}")
    if not out.parent.is_dir():
        raise JobFailed(f"the output folder does not exist: {out.parent}")
    if out.exists() and out.resolve() == spec.input_path.resolve():
        raise JobFailed("the output would overwrite the input: name another file")
    suffix = out.suffix.lower()
    if kind == "video" and suffix not in media_io.VIDEO_OUT:
        raise JobFailed(f"a video is written as MP4: name the output .mp4, not {out.name}")
    if kind == "image" and suffix not in media_io.IMAGE_FORMATS:
        raise JobFailed(
            f"a picture is written as a picture: name the output .png, .jpg or .webp, "
            f"not {out.name}"
        )


@contextlib.contextmanager
def _partial(output: Path) -> Iterator[Path]:
    """A temporary file beside ``output`` (hidden, ``.part``), removed unless the body
    renamed it into place."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".part", dir=output.parent)
    except OSError as exc:
        raise JobFailed(
            f"cannot write in the output folder {output.parent}: {exc.strerror or exc}"
        ) from None
    os.close(fd)
    tmp = Path(name)
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o666 & ~umask)  # as an ordinary new file (mkstemp makes it private)
    try:
        yield tmp
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
