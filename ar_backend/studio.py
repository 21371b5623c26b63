"""The studio: one object that owns the camera, the pipeline and the outputs. No Flask."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

from pydantic import BaseModel, ValidationError

from ar_backend import __version__
from ar_backend.audio.chain import EffectChain
from ar_backend.audio.effects import REGISTRY as EFFECTS
from ar_backend.audio.effects import EffectError
from ar_backend.audio.engine import AudioEngine
from ar_backend.background.live import Background
from ar_backend.background.render import BackgroundError, read_picture
from ar_backend.config import BackendConfig, BackgroundConfig, FaceOptions, resolve_dir
from ar_backend.face.engines import REGISTRY as ENGINES
from ar_backend.face.enhancers import unavailable_reason as enhancer_reason
from ar_backend.face.errors import BadImage, FaceError
from ar_backend.face.imaging.images import decode_image
from ar_backend.face.imaging.pixel_limit import PixelLimit
from ar_backend.face.live import restore
from ar_backend.face.live.events import SavedFace
from ar_backend.face.live.options import merged_options
from ar_backend.face.live.session import FaceSwap
from ar_backend.face.people.source import IMAGE_SUFFIXES as FACE_SUFFIXES
from ar_backend.face.store import StateStore, open_store
from ar_backend.governor import Governor
from ar_backend.jobs.queue import FacePicture, JobError, JobQueue, find_file, input_kind
from ar_backend.outputs.jpeg import JpegCache, TooManyViewers, Viewers
from ar_backend.outputs.recorder import Recorder, RecordingError
from ar_backend.outputs.sinks import OutputUnavailable, VirtualCamera
from ar_backend.personas import Persona, PersonaError, PersonaStore, check_name
from ar_backend.pipeline import Pipeline
from ar_backend.processors import REGISTRY as PROCESSORS
from ar_backend.processors import ProcessorResources, make_processor
from ar_backend.sources import BadSpec, SourceError, SourceSpec, make_source, parse_spec
from ar_backend.sources.device import (
    V4L2_ROOT,
    DeviceAccess,
    DeviceNotOpen,
    describe_devices,
    device_opens,
)
from ar_backend.sources.media import MediaLibrary, MediaRefused, MediaTooLarge, MediaTypeRefused
from ar_backend.sources.sound import SourceSound
from ar_backend.weights.fetch import ModelFetcher
from ar_backend.weights.verify import manifest_path
from shared.config import ConfigError
from shared.messages import KeyedError, Message, msg, text_fields
from shared.paths import inside
from shared.registry import Registry, UnknownName
from shared.wire.backend import (
    CameraAccess,
    CameraDeviceListOut,
    CameraStartOut,
    CameraStatus,
    CameraStopOut,
    EnginesOut,
    FaceModules,
    FaceStatus,
    JobOut,
    MediaListOut,
    MediaUploadOut,
    MjpegStatus,
    OutputsStatus,
    PersonaApplyOut,
    PersonaDeleteOut,
    PersonaListOut,
    PersonaOut,
    PipelineSummary,
    RecordingStatus,
    StudioStatus,
    VirtualCameraStatus,
)
from shared.wire.base import extended

log = logging.getLogger(__name__)

T = TypeVar("T")
RECORDING_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class PathNotAllowed(Exception):
    """A path named through the API lies outside the allowed folders."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class NotRunning(Exception):
    """The request needs the stream running."""


class StillRestoring(KeyedError):
    """The face state saved before a restart is still being applied after
    :data:`FACE_SETTLE_WAIT` seconds: a change is refused (503) rather than undone."""


FACE_SETTLE_WAIT = 60.0  # seconds a change of the face state waits for the restore at start


def check_names(config: BackendConfig) -> None:
    """What ``backend.yaml`` names in a registry exists: each processor, the face engine and
    each engine's own options, each audio effect and its parameters. A typo is a
    :class:`ConfigError` naming the key when the config loads (the entry point calls this
    right after loading, and so does ``Studio``), not a failure the first time it is used.
    (``ar_backend.config`` is below the registries, so its models cannot check this.)"""
    problems: list[str] = []

    def known(registry: Registry[T], name: str, key: str) -> T | None:
        try:
            return registry.get(name)
        except UnknownName as exc:
            problems.append(f"{key}: {exc}")
            return None

    def valid(model: type[BaseModel], data: dict[str, Any], key: str) -> None:
        try:
            model.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(part) for part in err["loc"])
                problems.append(f"{key}.{where}: {err['msg']}")

    for i, name in enumerate(config.pipeline.processors):
        known(PROCESSORS, name, f"pipeline.processors.{i}")
    known(ENGINES, config.face.engine, "face.engine")
    for name, own in config.face.options.engine_options.items():
        key = f"face.options.engine_options.{name}"
        engine = known(ENGINES, name, key)
        if engine is not None:
            valid(engine.options, own, key)
    for i, spec in enumerate(config.audio.effects):
        effect = known(EFFECTS, spec.type, f"audio.effects.{i}.type")
        if effect is not None:
            valid(effect.Params, spec.params, f"audio.effects.{i}.params")
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))


class Studio:
    """Camera, pipeline and outputs. The owner calls ``close()``; the API calls the rest.

    The front door: the blueprints call the Studio's methods, and the public methods of the
    sub-objects it publishes on purpose (:data:`PUBLISHED`), nothing else of it
    (tests/backend/test_front_door.py holds them to it)."""

    PUBLISHED = (
        "face",  # FaceSwap: load, unload, on/off, settings, status (face/live/session.py)
        "people",  # who is swapped: the reference person, the face map (face/live/people.py)
        "audio",  # AudioEngine: the voice stream (audio/engine.py)
        "effects",  # EffectChain: the voice effects (audio/chain.py)
        "jobs",  # JobQueue: file jobs (jobs/queue.py)
        "background",  # Background: what is behind the person (background/live.py)
        "models",  # ModelFetcher: model downloads (weights/fetch.py)
    )

    def __init__(self, config: BackendConfig, default_source: str | None = None) -> None:
        check_names(config)  # before anything starts
        self.config = config
        self.default_source = default_source or config.camera.source
        self.face = FaceSwap(config.face)
        self.people = self.face.people  # who is swapped: the reference person, the face map
        self.media_dirs = [resolve_dir(d) for d in config.media.folders]
        # the most pixels a picture or video frame may hold, for every way in (sources,
        # uploads, jobs, background pictures)
        self.pixel_limit = PixelLimit(config.media.max_megapixels)
        self.background = Background(
            config.background,
            self.face.model_files,
            self._background_image,
            lambda path: read_picture(
                path,
                max_bytes=int(config.face.max_upload_mb * 1e6),
                max_side=config.face.max_side,
                limit=self.pixel_limit,
            ),
        )
        lent = ProcessorResources(face=self.face, background=self.background)
        processors = [make_processor(n, config.pipeline, lent) for n in config.pipeline.processors]
        cam = config.camera
        # the quality governor (governor.py) and what it may turn down (knobs.py): the face
        # swap's, the preview's, and any a processor offers (its ``knobs``)
        self.governor = Governor(
            enabled=config.face.governor == "on",
            latency_frames=config.face.governor_latency_frames,
        )
        self.pipeline = Pipeline(
            processors,
            stats_window=config.pipeline.stats_window,
            overlap=config.pipeline.overlap,
            reconnect_min=cam.reconnect_min,
            reconnect_max=cam.reconnect_max,
            governor=self.governor,
        )
        self.jpeg = JpegCache(self.pipeline.output, config.outputs.jpeg_quality)
        for knob in [
            *self.face.quality.knobs,
            *(k for p in processors for k in getattr(p, "knobs", [])),
            self.jpeg.knob(),
        ]:
            self.governor.register(knob)
        self.viewers = Viewers(config.max_viewers, config.outputs.viewer_stall_timeout)
        self.media = MediaLibrary(
            self.media_dirs, round(config.media.max_upload_mb * 1e6), self.pixel_limit
        )
        self.media.ensure_folder()
        self.recordings_dir = resolve_dir(config.outputs.recordings_dir)
        self.recorder: Recorder | None = None
        self.last_recording: Path | None = None  # the last file finished, for the window
        self.vcam: VirtualCamera | None = None
        self.vcam_error: OutputUnavailable | None = None  # why the last start failed
        self.video4linux = Path(V4L2_ROOT)  # where device names are read (a test's folder)
        # may this user open the camera's device node (a test points it at stand-ins)
        self.device_access = DeviceAccess()
        self.spec: SourceSpec | None = None
        self.auto_note: str | None = None
        self.started = time.time()
        self.gui_report: dict[str, Any] | None = None
        # the video source's sound, for the voice path's "source" input
        self.sound = SourceSound(config.audio.sample_rate, config.audio.channels)
        self.audio = AudioEngine(config.audio, self.sound)
        self.audio.video_latency_ms = self._video_latency_ms
        self.effects = self.audio.chain
        # personas (face + voice + label under a name), kept in the data folder
        self.personas = PersonaStore(config.personas_dir)
        self.persona: str | None = None  # the one applied last
        self._apply_lock = threading.Lock()
        self._lock = threading.RLock()
        # file jobs (ar_backend/jobs): their list survives restarts; workers start with a job
        self.jobs = JobQueue(
            config.jobs,
            config.face,
            config.jobs_data_dir,
            resolve_dir(config.jobs.outputs_dir),
            config.logging.level,
            self.pixel_limit,
        )
        self.jobs.start()
        # model downloads (python -m ar_backend.weights's logic), one thread per fetch
        self.models = ModelFetcher(
            manifest_path(config.face.models_manifest), resolve_dir(config.face.models_dir)
        )
        self._face_preload: threading.Thread | None = None
        # set once the saved face state (or the configured face) is applied: a change the
        # person makes before then waits for it (face_settled), so it lands on top
        self._face_settled = threading.Event()
        self._face_settling_since = time.monotonic()
        # the saved face state (face/store.py) wins over face.source / face.enabled; the guard
        # covers frames until it is restored (restore.begin, before any frame can go out)
        store = open_store(config.face.state_dir)
        self.background.restore(store)  # the kept background wins over the config
        saved = store.saved() if store is not None else SavedFace()
        if store is not None and not saved.empty:
            restore.begin(self.face, saved)
            self._face_preload = threading.Thread(
                target=self._restore_face,
                args=(store, saved),
                name="face-restore",
                daemon=True,
            )
            self._face_preload.start()
        else:
            if store is not None:
                self.face.listeners.append(store.save)  # each change kept from now on
            if config.face.source:
                self.face.restoring = config.face.enabled  # guarded until it is on
                self._face_preload = threading.Thread(
                    target=self._preload_face, name="face-preload", daemon=True
                )
                self._face_preload.start()
            else:
                self._face_settled.set()  # nothing to apply

    # ---- face ------------------------------------------------------------------------------

    def face_settled(self, timeout: float | None = None) -> None:
        """Return once the face state saved before a restart (or the configured face) is
        applied, so a change made now lands on top of it and is kept, never undone by it.
        Called before every call that changes the face state; at once in ordinary running.
        :class:`StillRestoring` after ``timeout`` seconds (:data:`FACE_SETTLE_WAIT`; an
        engine still building)."""
        if self._face_settled.is_set():
            return
        log.info("a face change waits for the saved face state to be restored")
        if not self._face_settled.wait(FACE_SETTLE_WAIT if timeout is None else timeout):
            waited = time.monotonic() - self._face_settling_since
            raise StillRestoring(msg("face.still_restoring", seconds=round(waited)))

    def _restore_face(self, store: StateStore, saved: SavedFace) -> None:
        """The saved state applied (off the main thread: an engine takes seconds), then
        each change kept from then on."""
        try:
            restore.apply(self.face, saved, str(store.folder))
        finally:
            self.face.listeners.append(store.save)  # kept from here: the held changes too
            self._face_settled.set()

    def _preload_face(self) -> None:
        """The configured source face, loaded off the main thread (the engine takes seconds)."""
        try:
            self.face.load_path(self.config.face.source or "", None)
            if self.config.face.enabled:
                self.face_start()
        except Exception as exc:  # a bad configured face must not stop the studio
            log.warning("face.source %r not loaded: %s", self.config.face.source, exc)
        finally:
            self.face.restoring = False
            self._face_settled.set()

    def face_engines(self) -> EnginesOut:
        """Every engine, available or why not, and the one in use (GET /face/engines)."""
        engines = self.face.engines
        return EnginesOut(engines=engines.listing(), active=engines.active)

    def face_upload_bytes(self) -> int:
        """One face picture's largest size (``face.max_upload_mb``)."""
        return int(self.config.face.max_upload_mb * 1e6)

    def face_set_max(self) -> int:
        """Most photos in a face set (``face.max_set``)."""
        return self.config.face.max_set

    def face_start(self) -> FaceStatus:
        if "face_swap" not in self.config.pipeline.processors:
            raise NotRunning(
                "the face_swap processor is not in pipeline.processors; add it to the config"
            )
        return self.face.start()

    # ---- background --------------------------------------------------------------------------

    def _background_image(self, name: str) -> Path:
        """Background image mode's picture: a file in the media folders (403 naming
        ``image`` outside them, 400 for a name that is no path)."""
        try:
            return Path(self._media_path(name, "image"))
        except BadSpec as exc:
            raise BackgroundError(400, f"image: {exc}", "image") from None
        except PathNotAllowed as exc:
            raise BackgroundError(403, f"image: {exc}", "image") from None

    # ---- camera ----------------------------------------------------------------------------

    def _media_path(self, target: str, field: str = "source") -> str:
        """A file named through the API must resolve inside one of the media folders
        (PathNotAllowed naming ``field`` when it does not).

        No ``~`` expansion (a name is a name), symlinks and ``..`` are resolved before the
        check, and a name the OS cannot resolve (a link loop, too long) is a bad source.
        """
        candidate = Path(target)
        options = (
            [candidate] if candidate.is_absolute() else [d / candidate for d in self.media_dirs]
        )
        try:
            for option in options:
                resolved = option.resolve()  # symlinks and '..' resolved before the check
                allowed = any(inside(resolved, d) for d in self.media_dirs)
                if allowed and (resolved.exists() or option is options[-1]):
                    return str(resolved)
        except (OSError, RuntimeError, ValueError) as exc:  # ELOOP, ENAMETOOLONG, ...
            raise BadSpec(f"{target!r} cannot be resolved as a path: {exc}") from None
        folders = ", ".join(str(d) for d in self.media_dirs)
        raise PathNotAllowed(f"{target!r} is not inside the media folders ({folders})", field)

    def camera_start(
        self, spec: str | int | None = None, *, from_api: bool = True
    ) -> CameraStartOut:
        """Open the source and run the pipeline; the same source again is not an error."""
        parsed = parse_spec(self.default_source if spec is None else spec)
        if from_api and parsed.kind in ("file", "image") and spec is not None:
            parsed = SourceSpec(parsed.kind, self._media_path(parsed.target))
        with self._lock:
            if self.pipeline.running and self.spec == parsed:
                started = {"started": False, "already_running": True}
                return extended(CameraStartOut, self.camera_status(), **started)
            note = None
            if parsed.kind == "auto":
                if device_opens(0):
                    parsed, note = SourceSpec("device", "0"), "auto: device 0"
                elif self.device_access.problem(0) is not None:
                    note = "auto: device 0 may not be opened by this user (camera_access), demo"
                    parsed = SourceSpec("demo", "")
                else:
                    parsed, note = SourceSpec("demo", ""), "auto: no camera at device 0, demo"
            source = make_source(parsed, self.config.camera, self.pixel_limit)
            if hasattr(source, "sound"):  # a video file: its sound, for the voice path
                source.sound = self.sound
            # A network stream may take camera.open_timeout to answer (or never): it is
            # opened on the capture thread, so this answers "connecting" at once and a stop
            # meanwhile wins. Devices and files open here, and a failure is the answer.
            slow = getattr(source, "opens_slowly", False)
            if not slow:
                try:
                    source.open()  # raises SourceError with the reason
                except DeviceNotOpen:
                    problem = self.device_access.problem(int(parsed.target))
                    if problem is None:
                        raise
                    keyed = Message(problem.message_key, problem.message_args)
                    raise DeviceNotOpen(keyed) from None
            self.pipeline.start(source, opened=not slow)
            self.spec = parsed
            self.auto_note = note
            log.info(
                "camera %s: %s%s",
                "connecting" if slow else "started",
                source.label,
                f" ({note})" if note else "",
            )
            if self.config.outputs.virtual_camera.enabled and self.vcam is None and not slow:
                self._start_vcam_quietly()  # (a stream still connecting: POST it when running)
            started = {"started": True, "already_running": False}
            return extended(CameraStartOut, self.camera_status(), **started)

    def camera_stop(self) -> CameraStopOut:
        with self._lock:
            was = self.pipeline.running
            self.record_stop()
            self.vcam_stop()
            self.pipeline.stop()
            if was:
                log.info("camera stopped")
            return extended(CameraStopOut, self.camera_status(), stopped=was)

    def camera_status(self) -> CameraStatus:
        stats = self.pipeline.stats()
        stats.spec = str(self.spec) if self.spec else None
        stats.auto = self.auto_note
        stats.governor = self.governor.status()
        return stats

    def camera_access(self) -> CameraAccess | None:
        """The camera device this studio wants (the running source, else the configured
        one; ``auto``: device 0) when it is there but this user may not open it: the device,
        the message (key and args) and ``fix_command``. None otherwise. Never opens it."""
        spec = self.spec if self.spec is not None and not self.auto_note else None
        if spec is None:
            try:
                spec = parse_spec(self.default_source)
            except BadSpec:
                return None
        if spec.kind == "auto":
            spec = SourceSpec("device", "0")
        if spec.kind != "device" or (self.pipeline.running and self.spec == spec):
            return None
        return self.device_access.problem(int(spec.target))

    def devices(self) -> list[int]:
        """Device indices that open now (the one in use counts as open)."""
        found = []
        for index in range(self.config.camera.max_devices):
            in_use = self.spec == SourceSpec("device", str(index)) and self.pipeline.running
            if in_use or device_opens(index):
                found.append(index)
        return found

    def camera_devices(self) -> CameraDeviceListOut:
        """The devices that open, by index and by name (a virtual camera marked as one)."""
        indices = self.devices()
        vcam = self.vcam
        ours = (self.config.outputs.virtual_camera.device, vcam.device if vcam else None)
        named = describe_devices(indices, sysfs_root=self.video4linux, virtual_devices=ours)
        return CameraDeviceListOut(devices=indices, count=len(indices), named=named)

    # ---- media -----------------------------------------------------------------------------

    def media_files(self) -> MediaListOut:
        files, truncated = self.media.files()
        folder = self.media.upload_folder
        return MediaListOut(
            files=files,
            count=len(files),
            truncated=truncated,
            folder=str(folder) if folder else None,
        )

    def media_upload_bytes(self) -> int:
        """One media upload's largest size (``media.max_upload_mb``)."""
        return self.media.max_bytes

    def media_save(self, filename: str | None, stream: IO[bytes]) -> MediaUploadOut:
        return self.media.save(filename, stream)

    # ---- file jobs (ar_backend/jobs) -------------------------------------------------------

    def job_face(
        self, face: str | None, face_index: int | None, upload: tuple[str, bytes] | None = None
    ) -> FacePicture:
        """The face a job swaps in: an uploaded picture, ``"loaded"`` (the live swap's face;
        409 naming ``face`` when none is), or a picture in ``face.sources_dir`` or a media
        folder, by name. Read and checked here (a picture that does not decode: 400); the
        job keeps its own copy."""
        limit = int(self.config.face.max_upload_mb * 1e6)
        if upload is not None:
            name, data = upload
            kind = "file"
        elif face in (None, "loaded"):
            self.face_settled()  # (right after a restart: the restored face)
            loaded = self.face.loaded_picture()
            if loaded is None:
                raise JobError(
                    409, "face: no face is loaded (POST /face/load), or name a picture", "face"
                )
            data, index, name = loaded
            return FacePicture("loaded", name, data, index if face_index is None else face_index)
        else:
            path = find_file(face, [self.face.sources_dir, *self.media_dirs], "face")
            if path.suffix.lower() not in FACE_SUFFIXES:
                raise JobError(
                    415, f"face: {path.name} is not a picture ({', '.join(FACE_SUFFIXES)})", "face"
                )
            try:
                if path.stat().st_size > limit:
                    raise JobError(
                        413, f"face: {path.name} is larger than face.max_upload_mb", "face"
                    )
                name, data, kind = path.name, path.read_bytes(), "file"
            except OSError as exc:
                raise JobError(400, f"face: {path.name} cannot be read ({exc})", "face") from None
        if len(data) > limit:
            raise JobError(413, "face: the picture is larger than face.max_upload_mb", "face")
        try:
            decode_image(data, max_bytes=limit, max_side=self.config.face.max_side)
        except BadImage as exc:
            raise JobError(400, f"face: {exc}", "face") from None
        return FacePicture(kind, name, data, face_index)

    def job_settings(self, engine: str | None, changes: dict[str, Any]) -> tuple[str, FaceOptions]:
        """The engine (the live one by default; 400 unknown, 503 unavailable, naming
        ``engine``) and the options: the live ones with ``changes``, each checked as
        POST /face/settings checks it (400 naming ``options.<name>``; an enhancer that
        cannot run here 503 naming ``options.enhancer``)."""
        name = engine or self.face.engines.active
        kind = ENGINES.get(name, field="engine")
        reason = kind.check(self.config.face)
        if reason:
            raise JobError(503, f"engine: {name} is unavailable: {reason}", "engine")
        try:
            options = merged_options(self.face.options, changes)
        except FaceError as exc:
            raise JobError(400, f"options.{exc}", f"options.{exc.field or 'options'}") from None
        except UnknownName as exc:
            field = f"options.{exc.field or 'engine_options'}"
            raise JobError(400, f"{field}: {exc}", field) from None
        # an enhancer that cannot run here: refused now, not failed later in the worker
        reason = enhancer_reason(options.enhancer, self.config.face)
        if reason:
            field = "options.enhancer"
            raise JobError(503, f"{field}: {options.enhancer} is unavailable: {reason}", field)
        reason = self.face.occlusion.unavailable_reason()
        if options.occlusion == "on" and reason:
            if changes.get("occlusion") == "on":  # asked for: refused, as the enhancer
                field = "options.occlusion"
                raise JobError(503, f"{field}: occlusion is unavailable: {reason}", field)
            # the live default: the job runs without it, and its options say so
            options = options.model_copy(update={"occlusion": "off"})
        return name, options

    def job_background(self, changes: dict[str, Any]) -> tuple[BackgroundConfig, Path | None]:
        """A job's background: the live one with ``changes``, checked as POST /background
        checks it (400/403/404 naming ``background.<field>``, 503 ``background.mode`` when
        person segmentation cannot run here), and image mode's picture file."""
        try:
            return self.background.checked(changes)
        except BackgroundError as exc:
            field = f"background.{exc.field}"
            raise JobError(exc.status, f"background.{exc}", field) from None

    def job_submit(
        self,
        *,
        input_name: str | None,
        upload: tuple[str | None, IO[bytes]] | None,
        face: FacePicture,
        engine: str,
        options: FaceOptions,
        output: str | None,
        quality: int | None,
        background: tuple[BackgroundConfig, Path | None] | None = None,
    ) -> JobOut:
        """Queue a job on a file of the media folders (``input_name``), or on an upload
        saved into the first media folder as POST /media saves it; a job refused after the
        upload was saved removes it again, so a refusal leaves nothing. ``background``: as
        :meth:`job_background` gives it (None: off)."""
        settings, picture = background if background is not None else (None, None)
        if upload is None:
            path = find_file(input_name or "", self.media_dirs, "input")
            return self.jobs.submit(
                input_path=path,
                face=face,
                engine=engine,
                options=options,
                output=output,
                quality=quality,
                background=settings,
                background_path=picture,
            )
        self.jobs.check_room()
        try:
            saved = self.media.save(*upload)
        except MediaRefused as exc:
            status = 413 if isinstance(exc, MediaTooLarge) else 400
            status = 415 if isinstance(exc, MediaTypeRefused) else status
            raise JobError(status, f"input: {exc}", "input") from None
        assert saved.path is not None
        path = Path(saved.path)
        try:
            input_kind(path)  # (a .bmp plays live; a job does not take it)
            return self.jobs.submit(
                input_path=path,
                face=face,
                engine=engine,
                options=options,
                output=output,
                quality=quality,
                background=settings,
                background_path=picture,
            )
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    # ---- personas (ar_backend/personas.py) --------------------------------------------------

    def persona_list(self) -> PersonaListOut:
        listed = [p.describe() for p in self.personas.listed()]
        return PersonaListOut(
            personas=listed,
            count=len(listed),
            active=self.persona,
            **text_fields("error", self.personas.error),
        )

    def persona_save(
        self, name: str, label: str, voice: list[dict[str, Any]], face: str, slot: int | None
    ) -> PersonaOut:
        """Save (or replace) a persona; each part checked first (400 naming ``name``,
        ``voice.<i>...`` or ``face``), so a refusal changes nothing."""
        check_name(name)
        audio = self.config.audio
        try:  # built once to check it, as the live chain would build it
            EffectChain(audio.sample_rate, audio.channels, audio.max_effects).set_chain(voice)
        except EffectError as exc:
            field = "voice" + exc.field.removeprefix("effects")
            raise PersonaError(
                400, msg("persona.bad_voice", field=field, detail=str(exc)), field
            ) from None
        except UnknownName as exc:
            raise PersonaError(
                400, msg("persona.bad_voice", field="voice", detail=str(exc)), "voice"
            ) from None
        photos: list[tuple[bytes, int | None, str]] = []
        if face == "loaded":
            photos = self.face.loaded_pictures()
            if not photos:
                raise PersonaError(409, msg("persona.no_face_loaded"), "face")
        persona = Persona(name=name, label=label, voice=voice, slot=slot)
        self.personas.save(persona, photos)
        log.info("persona %r saved (%d face photo(s))", name, len(photos))
        return persona.describe()

    def persona_delete(self, name: str) -> PersonaDeleteOut:
        gone = self.personas.delete(name)
        if self.persona == gone.name:
            self.persona = None
        return PersonaDeleteOut(deleted=gone.name, **dict(self.persona_list()))

    def persona_apply(self, name: str) -> PersonaApplyOut:
        """The persona's face, voice and label as one change: the face is prepared first
        (the slow part, off the live path), then face, label and voice chain switch between
        two frames, so no frame has the new face with the old label. A face that cannot be
        prepared (or a voice that no longer builds) changes nothing."""
        persona = self.personas.get(name)
        with self._apply_lock:
            prepared = None
            if persona.faces:
                try:
                    photos = self.personas.face_bytes(persona)
                except OSError as exc:
                    raise PersonaError(
                        409,
                        msg("persona.face_unreadable", name=persona.name, detail=str(exc)),
                        "name",
                    ) from None
                prepared = self.face.prepare_face(photos)
            chain = self.audio.chain
            slots = chain.build(persona.voice)
            overlays = [p for p in self.pipeline.processors if hasattr(p, "persona_label")]
            with self.pipeline.between_frames():
                if prepared is not None:
                    self.face.use_face(prepared)
                for overlay in overlays:
                    overlay.persona_label = persona.label
                chain.install(slots)
            if prepared is not None:
                self.face.save_face(prepared)
            self.persona = persona.name
        log.info("persona %r applied", persona.name)
        return PersonaApplyOut(
            applied=persona.describe(),
            face=self.face.source_status() if prepared is not None else None,
            effects=chain.describe(),
            label_shown=bool(overlays) or not persona.label,
        )

    # ---- outputs ---------------------------------------------------------------------------

    def _stream_geometry(self) -> tuple[tuple[int, int], float]:
        frame = self.pipeline.output.wait_newer(-1, 3.0)
        if frame is None:
            raise NotRunning("no frames yet: start the camera first")
        h, w = frame.image.shape[:2]
        src = self.pipeline.source
        return (w, h), (src.fps if src else self.config.camera.fps)

    def record_start(self, name: str | None) -> RecordingStatus:
        with self._lock:
            if self.recorder is not None and self.recorder.active:
                return extended(RecordingStatus, self.recorder.status(), already_recording=True)
            if self.recorder is not None:  # it stopped by itself (a write error)
                self._finish_recording()
            if not self.pipeline.running:
                raise NotRunning("start the camera before recording")
            name = name or time.strftime("recording-%Y%m%d-%H%M%S.mp4")
            if not name.endswith(".mp4"):
                name += ".mp4"
            if not RECORDING_NAME.match(name):
                raise PathNotAllowed(
                    "file_name must be a plain file name (letters, digits, ._-)", "file_name"
                )
            self.recordings_dir.mkdir(parents=True, exist_ok=True)
            path = (self.recordings_dir / name).resolve()
            if not inside(path, self.recordings_dir):
                raise PathNotAllowed(
                    "file_name must stay inside the recordings folder", "file_name"
                )
            size, fps = self._stream_geometry()
            audio = self.config.audio
            voice = (audio.sample_rate, audio.channels) if self.audio.running else None
            try:
                self.recorder = Recorder(
                    self.pipeline.output,
                    path,
                    fps,
                    size,
                    crf=self.config.outputs.record_crf,
                    preset=self.config.outputs.record_preset,
                    audio=voice,
                )
            except RecordingError as exc:
                raise OutputUnavailable(str(exc)) from exc
            if voice is not None:
                self.audio.tap = self.recorder.add_audio
            log.info("recording to %s%s", path, " with the voice" if voice else "")
            return extended(RecordingStatus, self.recorder.status(), already_recording=False)

    def record_stop(self) -> RecordingStatus:
        with self._lock:
            if self.recorder is None:
                return self._recording_idle()
            finished = self._finish_recording()
            return extended(RecordingStatus, finished, **self._last_recording())

    def _finish_recording(self) -> RecordingStatus:
        assert self.recorder is not None
        self.audio.tap = None
        self.recorder.stop()
        status = self.recorder.status()
        log.info("recording finished: %s (%d frames)", status.path, status.frames)
        self.last_recording = self.recorder.file
        self.recorder = None
        return status

    def _video_latency_ms(self) -> float | None:
        """The video path's latency now (capture to output, median), for A/V sync."""
        if not self.pipeline.running:
            return None
        p50 = self.pipeline.stats().latency_ms.p50
        return None if p50 is None else float(p50)

    def _recording_idle(self) -> RecordingStatus:
        """The recording state with none under way: the last file, once there is one."""
        return RecordingStatus(active=False, **self._last_recording())

    def _last_recording(self) -> dict[str, str]:
        """The last recording's folder, name and path (RecordingStatus fields); none yet: {}."""
        last = self.last_recording
        if last is None:
            return {}
        return {"folder": str(last.parent), "last_file": last.name, "last_path": str(last)}

    def _start_vcam_quietly(self) -> None:
        try:
            self.vcam_start()
        except (OutputUnavailable, NotRunning) as exc:
            log.warning("virtual camera not started: %s", exc)

    def vcam_start(self) -> VirtualCameraStatus:
        with self._lock:
            if self.vcam is not None and self.vcam.active:
                return self.vcam.status()
            size, fps = self._stream_geometry()
            vc = self.config.outputs.virtual_camera
            try:
                self.vcam = VirtualCamera(self.pipeline.output, size, fps, vc.device, vc.backend)
            except OutputUnavailable as exc:
                self.vcam_error = exc
                raise
            self.vcam_error = None
            log.info("virtual camera on %s", self.vcam.device)
            return self.vcam.status()

    def vcam_stop(self) -> VirtualCameraStatus:
        with self._lock:
            if self.vcam is not None:
                self.vcam.stop()
                self.vcam = None
            return VirtualCameraStatus(active=False)

    def preview(
        self, disconnect: Callable[[], None] | None, width: int | None = None
    ) -> tuple[Iterator[bytes], Callable[[], None]]:
        """A new preview viewer: its MJPEG parts (the newest frame each time, ``width`` px
        wide when given), and what ends it (call it when the connection closes).
        TooManyViewers past ``outputs.max_viewers``; ``disconnect`` drops the connection of a
        viewer that stalls."""
        viewer = self.viewers.enter(disconnect)
        stop = threading.Event()

        def end() -> None:
            stop.set()
            viewer.leave()

        return self.jpeg.stream(stop, viewer=viewer, width=width), end

    def snapshot(self, width: int | None = None) -> bytes | None:
        """The newest output frame as JPEG (``width`` px wide when given); None before the
        first."""
        return self.jpeg.snapshot(width)

    # ---- status ----------------------------------------------------------------------------

    def uptime(self) -> float:
        return time.time() - self.started

    def outputs_status(self) -> OutputsStatus:
        """What GET /outputs and /status ``outputs`` say."""
        recorder, vcam = self.recorder, self.vcam
        if recorder is not None:
            last = self.last_recording
            recording = recorder.status()
            if last is not None:
                recording = extended(
                    RecordingStatus, recording, last_file=last.name, last_path=str(last)
                )
        else:
            recording = self._recording_idle()
        virtual_camera = vcam.status() if vcam else self._vcam_idle()
        return OutputsStatus(
            mjpeg=MjpegStatus(
                frames_encoded=self.jpeg.encoded,
                encode_ms=round(self.jpeg.encode_ms, 2),
                stages=self.jpeg.stages.summary(),
                **self.viewers.status(),
            ),
            virtual_camera=virtual_camera,
            recording=recording,
        )

    def _vcam_idle(self) -> VirtualCameraStatus:
        """The virtual camera when not running: why the last start failed (a sentence for a
        person, with its key and args; the library's words as ``error_detail``) and the
        command that fixes it."""
        failed = self.vcam_error
        return VirtualCameraStatus(
            active=False,
            **text_fields("error", failed.keyed if failed else None),
            error_detail=failed.detail if failed else None,
            setup_command=failed.setup_command if failed else None,
        )

    def status(self) -> StudioStatus:
        """What /status and the heartbeat say; never opens a device to answer."""
        cam = self.camera_status()
        return StudioStatus(
            version=__version__,
            status="error" if cam.state == "error" else "running",
            start_time=self.started,
            camera=cam,
            pipeline=PipelineSummary(
                processors=cam.processors,
                processor_errors=cam.processor_errors,
                fps_out=cam.fps_out,
                latency_ms=cam.latency_ms,
                dropped_frames=cam.dropped_frames,
            ),
            outputs=self.outputs_status(),
            governor=self.governor.status(),
            audio=self.audio.status(),
            camera_access=self.camera_access(),
            face_modules=self.face_modules(),
            background=self.background.status(),
            gui=self.gui_report,
            jobs=self.jobs.summary(),
        )

    def face_modules(self) -> FaceModules:
        st = self.face.status()
        return FaceModules(
            state="swapping" if st.active else ("ready" if st.source.loaded else "idle"),
            enabled=st.enabled,
            engine=st.engine,
            provider=st.engine_info.provider if st.engine_info is not None else None,
            face_loaded=st.source.loaded,
            faces_in_frame=st.faces_in_frame,
            **text_fields("error", st.error),
            engines=st.engines,
        )

    def apply_reload(self, new: BackendConfig) -> list[str]:
        """Take what can change without dropping the stream: the overlay, JPEG quality."""
        applied = []
        if new.pipeline.overlay != self.config.pipeline.overlay:
            for proc in self.pipeline.processors:
                if hasattr(proc, "reconfigure"):
                    proc.reconfigure(new.pipeline)
            applied.append("pipeline.overlay")
        if new.outputs.jpeg_quality != self.config.outputs.jpeg_quality:
            self.jpeg.quality = new.outputs.jpeg_quality
            applied.append("outputs.jpeg_quality")
        if new.logging != self.config.logging:
            applied.append("logging")
        self.config.pipeline.overlay = new.pipeline.overlay
        self.config.outputs.jpeg_quality = new.outputs.jpeg_quality
        self.config.logging = new.logging
        return applied

    def record_gui_report(self, payload: dict[str, Any]) -> None:
        self.gui_report = {**payload, "received_at": time.time()}

    def close(self) -> None:
        self.models.close()
        self.jobs.close()  # a running job stops and is kept as interrupted
        self.viewers.close()
        self.audio.stop()
        if self._face_preload is not None:
            self._face_preload.join(timeout=30)
        with self._lock:
            self.record_stop()
            self.vcam_stop()
            self.pipeline.close()
        self.face.close()
        self.background.close()


__all__ = [
    "ConfigError",
    "NotRunning",
    "OutputUnavailable",
    "PathNotAllowed",
    "SourceError",
    "Studio",
    "TooManyViewers",
    "check_names",
]
