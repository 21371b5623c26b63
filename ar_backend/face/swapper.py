"""``FaceSwap``: the live face swap the studio owns: the engine in use, the loaded source
face, the live options, on or off, and its status.

The API thread changes them; the pipeline's process thread reads one consistent snapshot
per frame, so a new face or option takes effect on the next frame without restarting the
camera, and the live path never waits for a face to load.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from pydantic import BaseModel, ValidationError

from ar_backend.config import FaceConfig, FaceOptions, resolve_dir
from ar_backend.face.engines import REGISTRY as ENGINES
from ar_backend.face.engines import Engine, SourceFace, TargetFace, create_engine, engine_types
from ar_backend.face.errors import (
    EngineUnavailable,
    FaceError,
    FaceFileNotFound,
    ManyFaces,
    NoFace,
    NoSource,
    PathRefused,
)
from ar_backend.face.geometry import iou
from ar_backend.face.images import box_json, decode_image, face_thumbnail
from shared.logs import FaultLatch
from shared.paths import inside

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


@dataclass(frozen=True)
class Live:
    """What the process thread reads, replaced whole (never changed in place)."""

    engine: Engine | None
    source: SourceFace | None
    options: FaceOptions
    enabled: bool


M = TypeVar("M", bound=BaseModel)


def _checked(model: type[M], data: dict[str, Any], prefix: str | None) -> M:
    """``data`` validated by ``model`` (defaults filled in), or FaceError naming the field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join([*([prefix] if prefix else []), *(str(p) for p in err["loc"])])
        raise FaceError(f"{field}: {err['msg']}", field) from None


@dataclass
class LoadedImage:
    image: np.ndarray
    name: str
    face_index: int | None
    box: np.ndarray  # the chosen face, so another engine can find the same one


class FaceSwap:
    """The live face swap: the API changes its engine, source face and options; the
    ``face_swap`` processor calls ``process()`` on each frame."""

    def __init__(self, cfg: FaceConfig) -> None:
        self.cfg = cfg
        self.sources_dir = resolve_dir(cfg.sources_dir)
        self.models_dir = resolve_dir(cfg.models_dir)
        self.engine_name = cfg.engine
        self._engines: dict[str, Engine] = {}
        self._loaded: LoadedImage | None = None
        self._source_info: dict[str, Any] | None = None
        self._live = Live(None, None, self._merged(cfg.options, {}), False)
        # slow work (an engine's first use, preparing a face) is one at a time under _work;
        # publishing what it made takes _lock briefly, so on/off never waits behind it.
        # The live path takes neither.
        self._work = threading.RLock()
        self._lock = threading.Lock()
        self._tracker_reset = threading.Event()
        self._redetect = threading.Event()
        self.fault = FaultLatch(log, "face swap")
        self.frames_swapped = 0
        self.faces_in_frame = 0
        self.frames_without_face = 0
        self.stage_ms: dict[str, float] = {}

    # ---- engines ---------------------------------------------------------------------------

    def engines(self) -> list[dict[str, Any]]:
        out = []
        for name, kind in sorted(engine_types().items()):
            reason = kind.check(self.cfg)
            out.append(
                {
                    "name": name,
                    "description": kind.description,
                    "available": reason is None,
                    "reason": reason,
                    "active": name == self.engine_name,
                    "loaded": name in self._engines,
                }
            )
        return out

    def _engine(self, name: str) -> Engine:
        with self._work:
            engine = self._engines.get(name)
            if engine is None:
                t0 = time.perf_counter()
                engine = create_engine(name, self.cfg)
                log.info("face engine %s ready in %.1f s", name, time.perf_counter() - t0)
                self._engines[name] = engine
            return engine

    # ---- the source face -------------------------------------------------------------------

    def load_image(self, data: bytes, face_index: int | None, name: str) -> dict[str, Any]:
        image = decode_image(
            data, max_bytes=int(self.cfg.max_upload_mb * 1e6), max_side=self.cfg.max_side
        )
        with self._work:
            engine = self._engine(self.engine_name)
            source, info = self._prepare(engine, image, face_index, name)
            with self._lock:
                self._loaded = LoadedImage(image, name, face_index, source.box)
                self._source_info = info
                self._publish(engine=engine, source=source, reset=engine is not self._live.engine)
        log.info("face loaded: %s (%s engine)", name, engine.name)
        return self.source_status()

    def resolve_path(self, text: str) -> Path:
        """A file in the sources or models folder; anything else is refused unread."""
        try:
            return self._resolve(text)
        except (ValueError, RuntimeError, OSError) as exc:  # NUL bytes, over-long names
            raise PathRefused(f"{text[:80]!r} is not a usable file name ({exc})") from None

    def _resolve(self, text: str) -> Path:
        candidate = Path(text)
        folders = [self.sources_dir, self.models_dir]
        options = [candidate] if candidate.is_absolute() else [f / candidate for f in folders]
        for option in options:
            resolved = option.resolve()  # '..' and symlinks resolved before the check
            if any(inside(resolved, f) for f in folders):
                if resolved.suffix.lower() not in IMAGE_SUFFIXES:
                    raise PathRefused(
                        f"{text!r} is not a face image ({', '.join(sorted(IMAGE_SUFFIXES))}); "
                        "model files are chosen by the engine settings"
                    )
                if resolved.is_file():
                    return resolved
                continue
        if not any(any(inside(o.resolve(), f) for f in folders) for o in options):
            raise PathRefused(
                f"{text!r} is outside the allowed folders ({self.sources_dir}, {self.models_dir})"
            )
        raise FaceFileNotFound(f"no file {text!r} in {self.sources_dir} or {self.models_dir}")

    def load_path(self, text: str, face_index: int | None) -> dict[str, Any]:
        path = self.resolve_path(text)
        limit = int(self.cfg.max_upload_mb * 1e6)
        if path.stat().st_size > limit:
            raise PathRefused(f"{path.name} is larger than {self.cfg.max_upload_mb:g} MB")
        return self.load_image(path.read_bytes(), face_index, path.name)

    def _prepare(
        self,
        engine: Engine,
        image: np.ndarray,
        face_index: int | None,
        name: str,
        same_as: np.ndarray | None = None,
    ) -> tuple[SourceFace, dict[str, Any]]:
        """Find the faces, pick one (``face_index``, or the one at ``same_as``: the face
        chosen before, found again by another engine) and prepare it."""
        faces = sorted(engine.find_sources(image), key=lambda f: float(f.box[0]))
        if not faces:
            raise NoFace("no face found in the image")
        if same_as is not None:
            best = max(range(len(faces)), key=lambda i: iou(faces[i].box, same_as))
            if iou(faces[best].box, same_as) < 0.3:
                raise NoFace(
                    f"the {engine.name} engine does not find the loaded face in {name}; "
                    "load the picture again"
                )
            face_index = best
        listed = [{"index": i, **box_json(f.box)} for i, f in enumerate(faces)]
        if face_index is None and len(faces) > 1:
            raise ManyFaces(
                f"{len(faces)} faces found; choose one with face_index (0 is the leftmost)",
                listed,
            )
        index = face_index or 0
        if index >= len(faces):
            raise FaceError(
                f"face_index {index} is out of range: {len(faces)} face(s) found", "face_index"
            )
        face: TargetFace = faces[index]
        source = engine.prepare_source(image, face)
        h, w = image.shape[:2]
        info = {
            "name": name,
            "engine": engine.name,
            "face": box_json(face.box),
            "face_index": index,
            "faces_found": len(faces),
            "image_size": {"width": w, "height": h},
            "thumbnail": face_thumbnail(image, face.box),
            "notes": list(source.notes),
            "loaded_at": time.time(),
        }
        return source, info

    def source_status(self) -> dict[str, Any]:
        info = self._source_info
        return {"loaded": info is not None, **(info or {})}

    # ---- on, off, options ------------------------------------------------------------------

    def start(self) -> dict[str, Any]:
        with self._lock:
            if self._live.source is None:
                raise NoSource("load a face first")
            self._publish(enabled=True)
        log.info("face swap on")
        return self.status()

    def stop(self) -> dict[str, Any]:
        with self._lock:
            was = self._live.enabled
            self._publish(enabled=False)
        if was:
            log.info("face swap off")
        return self.status()

    @staticmethod
    def _merged(before: FaceOptions, changes: dict[str, Any]) -> FaceOptions:
        """``before`` with ``changes``, all checked: the shared options by FaceOptions, each
        engine's own (``engine_options``, merged option by option) by its options model, and
        every registered engine's filled in with its defaults. A bad value is FaceError
        naming it (``engine_options.classic.shape_strength``), an engine nothing registered
        UnknownName (``engine_options.<name>``)."""
        own_changes = changes.get("engine_options") or {}
        for name in own_changes:
            ENGINES.get(name, field=f"engine_options.{name}")
        engine_options: dict[str, dict[str, Any]] = {}
        for name, kind in ENGINES.items():
            raw = {**(before.engine_options.get(name) or {}), **(own_changes.get(name) or {})}
            own = _checked(kind.options, raw, f"engine_options.{name}")
            engine_options[name] = own.model_dump()
        shared = {**before.model_dump(), **changes, "engine_options": engine_options}
        return _checked(FaceOptions, shared, None)

    def update(self, engine: str | None, changes: dict[str, Any]) -> dict[str, Any]:
        """Validate everything first; a refused change changes nothing."""
        self._merged(self._live.options, changes)
        if engine is None or engine == self.engine_name:
            with self._lock:  # options only: the faces in view stay tracked
                before = self._live.options
                options = self._merged(before, changes)
                self._publish(options=options)
                if (options.many_faces, options.detect_size) != (
                    before.many_faces,
                    before.detect_size,
                ):
                    self._redetect.set()  # which faces to swap: look again at once
            return self.status()
        with self._work:
            new = self._engine(engine)  # EngineUnavailable (503) names the reason
            loaded = self._loaded
            source, info = self._live.source, self._source_info
            if loaded is not None:
                source, info = self._prepare(
                    new, loaded.image, None, loaded.name, same_as=loaded.box
                )
            with self._lock:
                options = self._merged(self._live.options, changes)
                if loaded is not None and source is not None:
                    self._loaded = LoadedImage(
                        loaded.image, loaded.name, loaded.face_index, source.box
                    )
                self.engine_name = engine
                self._source_info = info
                self._publish(engine=new, source=source, options=options, reset=True)
        log.info("face engine switched to %s", engine)
        return self.status()

    def _publish(self, reset: bool = False, **changes: Any) -> None:
        """Replace the live snapshot (callers hold _lock); ``reset``: the faces tracked so
        far do not suit the new engine."""
        self._live = replace(self._live, **changes)
        if reset:
            self._tracker_reset.set()

    @property
    def options(self) -> FaceOptions:
        return self._live.options

    @property
    def enabled(self) -> bool:
        return self._live.enabled

    # ---- the live path ---------------------------------------------------------------------

    def process(self, image: np.ndarray, tracker: Any, timings: dict[str, float]) -> np.ndarray:
        """Swap the faces in one frame (called by the pipeline's process thread only)."""
        if self._tracker_reset.is_set():  # before the snapshot: it is at least as new
            self._tracker_reset.clear()
            tracker.reset()
        if self._redetect.is_set():
            self._redetect.clear()
            tracker.detect_soon()
        live = self._live
        if not live.enabled or live.source is None or live.engine is None:
            return image
        try:
            faces = tracker.update(live.engine, image, live.options)
            for stage, ms in tracker.last_ms.items():
                timings[f"face.{stage}"] = ms
            t0 = time.perf_counter()
            if faces:
                # on a copy: a render that fails half way must leave the frame as it was
                image = live.engine.render(image.copy(), faces, live.source, live.options)
                self.frames_swapped += 1
            else:
                self.frames_without_face += 1
            timings["face.render"] = (time.perf_counter() - t0) * 1000
            self.faces_in_frame = len(faces)
            if tracker.detector_error:
                self.fault.fault(f"detector: {tracker.detector_error}")
            else:
                self.fault.clear()
        except Exception as exc:  # a bad frame must not stop the stream
            if self.fault.fault(f"{exc.__class__.__name__}: {exc}"):
                log.exception("face swap error; frames pass unchanged until it clears")
            tracker.reset()
        stage_ms = dict(self.stage_ms)
        for key, ms in timings.items():
            if key.startswith("face."):
                old = stage_ms.get(key)
                stage_ms[key] = ms if old is None else old * 0.9 + ms * 0.1
        self.stage_ms = stage_ms  # replaced whole: status() may be reading the old one
        return image

    def status(self) -> dict[str, Any]:
        live = self._live
        engine = live.engine
        return {
            "enabled": live.enabled,
            "active": live.enabled and live.source is not None,
            "engine": self.engine_name,
            "engine_info": engine.info() if engine is not None else None,
            "options": live.options.model_dump(),
            "source": {k: v for k, v in self.source_status().items() if k != "thumbnail"},
            "faces_in_frame": self.faces_in_frame,
            "frames_swapped": self.frames_swapped,
            "frames_without_face": self.frames_without_face,
            "stage_ms": {k: round(v, 2) for k, v in self.stage_ms.items()},
            "error": self.fault.active,
            "engines": {e["name"]: e["reason"] or "available" for e in self.engines()},
        }

    def close(self) -> None:
        with self._work:
            for engine in self._engines.values():
                engine.close()
            self._engines.clear()


__all__ = ["EngineUnavailable", "FaceFileNotFound", "FaceSwap", "PathRefused"]
