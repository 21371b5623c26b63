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
from ar_backend.face.engines import Engine, create_engine, engine_types
from ar_backend.face.enhancers import OFF as ENHANCER_OFF
from ar_backend.face.enhancers import Enhancer, EnhancerUnavailable, create_enhancer
from ar_backend.face.enhancers import live as enhancer_live
from ar_backend.face.enhancers import unavailable_reason as enhancer_reason
from ar_backend.face.errors import (
    EngineUnavailable,
    FaceError,
    FaceFileNotFound,
    ManyFaces,
    NoFace,
    NoSource,
    PathRefused,
)
from ar_backend.face.faces import SourceFace, TargetFace, picture_faces
from ar_backend.face.imaging.geometry import iou
from ar_backend.face.imaging.images import box_json, decode_image, face_thumbnail
from ar_backend.face.live.guard import MODES, Guard
from ar_backend.face.people import faceset
from ar_backend.face.people import state as people_state
from ar_backend.face.people.reference import (
    MAX_MAP,
    NOBODY,
    MapEntry,
    Matcher,
    People,
    Photo,
    again,
    identify,
)
from ar_backend.face.store import StateStore
from shared.logs import FaultLatch
from shared.messages import list_fields
from shared.paths import inside
from shared.registry import UnknownName

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


@dataclass(frozen=True)
class PreparedFace:
    """A face (or face set) made ready for ``engine``, not yet in use (FaceSwap.use_face)."""

    engine: Engine
    source: SourceFace
    info: dict[str, Any]
    loaded: LoadedImage
    set_images: list[LoadedImage]
    items: list[tuple[bytes, int | None, str]]


@dataclass(frozen=True)
class Live:
    """What the process thread reads, replaced whole (never changed in place)."""

    engine: Engine | None
    source: SourceFace | None
    options: FaceOptions
    enabled: bool
    people: People = NOBODY  # the reference person and the face map (face/people/reference.py)

    @property
    def has_source(self) -> bool:
        """A face to swap in: the loaded one, or a face map's."""
        return self.source is not None or bool(self.people.entries)


M = TypeVar("M", bound=BaseModel)
Upload = tuple[bytes, int | None, str]  # an uploaded picture, its face_index, its name


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
        self.matcher = Matcher(dict(cfg.reference_threshold))
        self._set_images: list[LoadedImage] = []  # a face set's photos (face/people/faceset.py)
        # the privacy guard (guard.py) and what survives a restart (face/store.py: the studio
        # sets ``store``; ``restoring`` while a saved state that switches the swap on loads)
        self.guard = Guard(cfg.guard, cfg.guard_hold_max)
        self.false_swaps_prevented = 0
        self.store: StateStore | None = None
        self.saving = True
        self.restoring = False
        # the enhancer (face/enhancers), run on the swapped faces: created when chosen (as an
        # engine, under _work), or off the live path when the options name one not loaded
        self._enhancers: dict[str, Enhancer] = {}
        self._enhancer_failed: dict[str, str] = {}  # a background load that failed: why
        self._enhancer_loading: set[str] = set()
        self._enhancer_lock = threading.Lock()
        self.enhancer_fault = FaultLatch(log, "face enhancer")
        self.enhance_cost = enhancer_live.CostMeter()
        self._closed = False

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

    # ---- the enhancer (face/enhancers) -----------------------------------------------------

    def _enhancer(self, name: str) -> Enhancer:
        """Enhancer ``name``, created on first use (EnhancerUnavailable names the reason)."""
        with self._work:
            enhancer = self._enhancers.get(name)
            if enhancer is None:
                if self._closed:
                    raise EnhancerUnavailable(f"{name} is unavailable: the face swap is closed")
                t0 = time.perf_counter()
                enhancer = create_enhancer(name, self.cfg)
                log.info("face enhancer %s ready in %.1f s", name, time.perf_counter() - t0)
                self._enhancers[name] = enhancer
            self._enhancer_failed.pop(name, None)
            return enhancer

    def _load_enhancer_soon(self, name: str) -> None:
        """Load ``name`` off the live path (the options name it, as configured or restored,
        and it is not loaded): frames go out swapped, not enhanced, until it is ready. One
        try: choosing it again (POST /face/settings) tries again."""
        with self._enhancer_lock:
            if name in self._enhancer_loading or name in self._enhancer_failed or self._closed:
                return
            self._enhancer_loading.add(name)
        threading.Thread(
            target=self._load_enhancer, args=(name,), name="face-enhancer-load", daemon=True
        ).start()

    def _load_enhancer(self, name: str) -> None:
        try:
            self._enhancer(name)
        except Exception as exc:  # status says why (the reason, or what failed)
            self._enhancer_failed[name] = str(exc).strip("'\"")
            log.warning("face enhancer %s not loaded: %s", name, exc)
        finally:
            with self._enhancer_lock:
                self._enhancer_loading.discard(name)

    def _enhance(
        self,
        image: np.ndarray,
        faces: list[TargetFace],
        options: FaceOptions,
        timings: dict[str, float],
    ) -> np.ndarray:
        """The swapped ``faces`` restored (the process thread). A failure is logged once and
        the frame goes out swapped, not enhanced; status says why until it runs again."""
        name = options.enhancer
        enhancer = self._enhancers.get(name)
        if enhancer is None:
            self._load_enhancer_soon(name)
            return image
        t0 = time.perf_counter()
        try:
            out = enhancer.enhance(image, faces, options.enhancer_strength)
        except Exception as exc:
            if self.enhancer_fault.fault(f"{name}: {exc.__class__.__name__}: {exc}"):
                log.debug("face enhancer %s failed", name, exc_info=True)
            return image
        ms = (time.perf_counter() - t0) * 1000
        timings["face.enhance"] = ms
        self.enhance_cost.add(name, ms)
        self.enhancer_fault.clear()
        return out

    def enhancer_status(self) -> dict[str, Any]:
        """The enhancer chosen, whether it can run, on what, what it costs per frame here and
        whether that keeps the live rate (``EnhancerStatus``)."""
        options = self._live.options
        name = options.enhancer
        enhancer = self._enhancers.get(name) if name != ENHANCER_OFF else None
        reason = None
        if name != ENHANCER_OFF and enhancer is None:
            try:
                reason = self._enhancer_failed.get(name) or enhancer_reason(name, self.cfg)
            except UnknownName as exc:
                reason = str(exc)
        on = name != ENHANCER_OFF
        return enhancer_live.status(
            name,
            options.enhancer_strength,
            reason,
            enhancer.info() if enhancer is not None else None,
            list(self.cfg.enhancer.providers),
            self.enhance_cost.mean(name) if on else None,
            self.cfg.enhancer.live_budget_ms,
            self.enhancer_fault.active if on else None,
        )

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
        self._save("source", {"name": name, "face_index": info["face_index"]}, {"source": data})
        log.info("face loaded: %s (%s engine)", name, engine.name)
        return self.source_status()

    def unload(self) -> dict[str, Any]:
        """Forget the loaded face (and face set). A swap left on has nothing to draw: with the
        guard on, frames with a face are guarded until a face is loaded again (a face map, if
        set, still swaps its people)."""
        with self._work, self._lock:
            self._loaded = None
            self._set_images = []
            self._source_info = None
            self._publish(source=None)
        self._save("source", *people_state.unloaded_state())
        log.info("face unloaded")
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

    def prepare_picture(
        self, engine: Engine, image: np.ndarray, face_index: int | None, name: str
    ) -> tuple[SourceFace, dict[str, Any]]:
        """A picture's face prepared as the source (``face_index`` 0 is the leftmost), as
        /face/load does it: what file jobs use for their face."""
        return self._prepare(engine, image, face_index, name)

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
        faces = sorted(picture_faces(engine, image), key=lambda f: float(f.box[0]))
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
            **list_fields("notes", list(source.notes)),
            "loaded_at": time.time(),
        }
        return source, info

    def loaded_picture(self) -> tuple[bytes, int | None, str] | None:
        """The loaded face's picture (PNG: the pixels the swap uses, losslessly), which face
        of it (0 the leftmost) and its name; None with no face loaded. A face set gives its
        first photo. For file jobs of "the loaded face" (ar_backend/jobs)."""
        with self._lock:
            loaded, info = self._loaded, self._source_info
        if loaded is None or info is None:
            return None
        import cv2

        ok, png = cv2.imencode(".png", loaded.image)
        if not ok:
            return None
        index = info.get("face_index")
        return png.tobytes(), index if isinstance(index, int) else loaded.face_index, loaded.name

    def loaded_pictures(self) -> list[tuple[bytes, int | None, str]]:
        """Every photo of the loaded face, as PNG (the pixels the swap uses) with which face
        of it and its name: a face set gives each photo; [] with no face loaded."""
        import cv2

        with self._lock:
            loaded, info, photos = self._loaded, self._source_info, list(self._set_images)
        if loaded is None or info is None:
            return []
        if not photos:
            index = info.get("face_index")
            photos = [replace(loaded, face_index=index if isinstance(index, int) else None)]
        out = []
        for photo in photos:
            ok, png = cv2.imencode(".png", photo.image)
            if ok:
                out.append((png.tobytes(), photo.face_index, photo.name))
        return out

    def source_status(self) -> dict[str, Any]:
        info = self._source_info
        return {"loaded": info is not None, **(info or {})}

    # ---- who is swapped: the reference person, the face map (face/people/reference.py) -----------

    def set_reference(self, data: bytes, face_index: int | None, name: str) -> dict[str, Any]:
        """Only faces matching the person in this photo get the loaded source."""
        image = self._decode(data)
        with self._work:
            identity = identify(self._engine(self.engine_name), image, face_index, name)
            with self._lock:
                self._publish(people=replace(self._live.people, reference=identity))
        self._save("reference", *people_state.reference_state(data, name, face_index))
        log.info("reference person set from %s", name)
        return self.people_status(thumbnail=True)

    def reference_from_frame(self, frame_face_index: int) -> dict[str, Any]:
        """The reference is face ``frame_face_index`` (leftmost first) of the camera's frame."""
        image = self.matcher.grab()
        with self._work:
            engine = self._engine(self.engine_name)
            try:
                identity = identify(engine, image, frame_face_index, "the camera frame")
            except FaceError as exc:
                exc.field = "frame_face_index"
                raise
            with self._lock:
                self._publish(people=replace(self._live.people, reference=identity))
        saved = people_state.reference_state(
            people_state.png(image), "the camera frame", frame_face_index
        )
        self._save("reference", *saved)
        log.info("reference person picked in the camera frame (face %d)", frame_face_index)
        return self.people_status(thumbnail=True)

    def clear_reference(self) -> dict[str, Any]:
        with self._lock:
            self._publish(people=replace(self._live.people, reference=None))
        self._save("reference", *people_state.reference_state(None, "", None))
        return self.people_status()

    def set_map(self, pairs: list[tuple[Upload, Upload]]) -> dict[str, Any]:
        """The face map, whole: ``pairs`` of ((reference bytes, face_index, name), (source
        bytes, face_index, name)); each tracked face gets the source of the nearest reference."""
        if not 1 <= len(pairs) <= MAX_MAP:
            raise FaceError(f"a face map has 1 to {MAX_MAP} pairs, got {len(pairs)}", "reference_0")
        decoded = [
            (i, self._decode(ref[0]), ref, self._decode(src[0]), src)
            for i, (ref, src) in enumerate(pairs)
        ]
        with self._work:
            engine = self._engine(self.engine_name)
            entries = []
            for i, ref_image, ref, src_image, src in decoded:
                identity = identify(engine, ref_image, ref[1], ref[2], field_name=f"reference_{i}")
                try:
                    source, info = self._prepare(engine, src_image, src[1], src[2])
                except FaceError as exc:
                    exc.field = f"source_{i}" + ("_face_index" if "face_index" in str(exc) else "")
                    raise
                photo = Photo(src_image, src[2], info["face_index"], np.asarray(source.box))
                entries.append(MapEntry(identity, source, photo))
            with self._lock:  # the engine too: a map needs no loaded face
                people = replace(self._live.people, entries=tuple(entries))
                self._publish(engine=engine, people=people, reset=engine is not self._live.engine)
        self._save("map", *people_state.map_state(pairs))
        log.info("face map set: %d people", len(entries))
        return self.people_status(thumbnail=True)

    def clear_map(self) -> dict[str, Any]:
        with self._lock:
            self._publish(people=replace(self._live.people, entries=()))
        self._save("map", *people_state.map_state(None))
        return self.people_status()

    def people_status(self, thumbnail: bool = False) -> dict[str, Any]:
        """``reference``, ``map`` and, per tracked face, whether it matched and its source."""
        return {**self._live.people.info(thumbnail), "faces": list(self.matcher.faces)}

    def _people_for(self, engine: Engine) -> People:
        """The reference and the map again for another engine (callers hold _work)."""
        people = self._live.people
        reference = again(engine, people.reference) if people.reference is not None else None
        entries = []
        for entry in people.entries:
            photo = entry.source_photo
            source, _ = self._prepare(engine, photo.image, None, photo.name, same_as=photo.box)
            entries.append(MapEntry(again(engine, entry.reference), source, photo))
        return People(reference, tuple(entries))

    # ---- a face set: several photos of the source person (face/people/faceset.py) ---------------

    def load_images(self, items: list[tuple[bytes, int | None, str]]) -> dict[str, Any]:
        """A face set: each photo's face (its ``face_index`` when it has several); per face
        and frame the classic engine renders from the photo whose head pose is closest."""
        if len(items) == 1:
            return self.load_image(*items[0])
        if not 1 < len(items) <= self.cfg.max_set:
            raise FaceError(f"a face set has at most {self.cfg.max_set} photos", "image")
        images = [self._decode(data) for data, _, _ in items]
        photos = [
            LoadedImage(image, name, index, np.zeros(4))
            for image, (_, index, name) in zip(images, items, strict=True)
        ]
        with self._work:
            engine = self._engine(self.engine_name)
            source, info = self._prepare_set(engine, photos, same_as=False)
            with self._lock:
                self._loaded = self._set_images[0]
                self._source_info = info
                self._publish(engine=engine, source=source, reset=engine is not self._live.engine)
        self._save("source", *people_state.set_state(items))
        log.info("face set loaded: %d photos (%s engine)", len(items), engine.name)
        return self.source_status()

    def prepare_face(self, items: list[tuple[bytes, int | None, str]]) -> PreparedFace:
        """The face (one photo) or face set of ``items`` prepared as the source but not yet
        in use (errors as /face/load's): a persona puts it in with :meth:`use_face` between
        two frames, together with its voice and label."""
        if not 1 <= len(items) <= self.cfg.max_set:
            raise FaceError(f"a face set has at most {self.cfg.max_set} photos", "image")
        images = [self._decode(data) for data, _, _ in items]
        with self._work:
            engine = self._engine(self.engine_name)
            if len(items) == 1:
                _data, index, name = items[0]
                source, info = self._prepare(engine, images[0], index, name)
                loaded, photos = LoadedImage(images[0], name, index, source.box), []
            else:
                kept = self._set_images
                try:
                    source, info = self._prepare_set(
                        engine,
                        [
                            LoadedImage(image, name, index, np.zeros(4))
                            for image, (_, index, name) in zip(images, items, strict=True)
                        ],
                        same_as=False,
                    )
                    photos = self._set_images
                finally:
                    self._set_images = kept
                loaded = photos[0]
        return PreparedFace(engine, source, info, loaded, photos, list(items))

    def use_face(self, prepared: PreparedFace) -> None:
        """Put a prepared face in use from the next frame (no engine work: quick). The engine
        must still be the one it was prepared for (FaceError naming ``engine`` else)."""
        with self._lock:
            if self._engines.get(self.engine_name) is not prepared.engine:
                raise FaceError("the face engine changed meanwhile: apply again", "engine")
            self._loaded = prepared.loaded
            self._set_images = list(prepared.set_images)
            self._source_info = prepared.info
            reset = prepared.engine is not self._live.engine
            self._publish(engine=prepared.engine, source=prepared.source, reset=reset)

    def save_face(self, prepared: PreparedFace) -> None:
        """Keep the face put in use by :meth:`use_face` across a restart."""
        if len(prepared.items) == 1:
            data, _index, name = prepared.items[0]
            face_index = prepared.info["face_index"]
            self._save("source", {"name": name, "face_index": face_index}, {"source": data})
        else:
            self._save("source", *people_state.set_state(prepared.items))

    def _prepare_set(
        self, engine: Engine, photos: list[LoadedImage], same_as: bool
    ) -> tuple[SourceFace, dict[str, Any]]:
        """Each photo prepared (found again at its box when ``same_as``), then one source
        carrying them all; the status info lists each photo with its head pose."""
        prepared = []
        for i, photo in enumerate(photos):
            box = photo.box if same_as else None
            try:
                prepared.append(
                    self._prepare(engine, photo.image, photo.face_index, photo.name, box)
                )
            except FaceError as exc:
                exc.args = (f"photo {i} ({photo.name}): {exc}",)
                raise
        source = faceset.build([s for s, _ in prepared])
        poses = faceset.describe(source)
        info = {
            **prepared[0][1],
            "set": [
                {**{k: p[1][k] for k in ("name", "face", "face_index")}, **pose}
                for p, pose in zip(prepared, poses, strict=True)
            ],
        }
        self._set_images = [
            LoadedImage(photo.image, photo.name, photo.face_index, s.box)
            for photo, (s, _) in zip(photos, prepared, strict=True)
        ]
        return source, info

    def _set_for(
        self, engine: Engine, source: SourceFace, info: dict[str, Any]
    ) -> tuple[SourceFace, dict[str, Any]]:
        """The loaded face set again for another engine (``source``: its first photo)."""
        if len(faceset.members(self._live.source or source)) < 2 or len(self._set_images) < 2:
            return source, info
        return self._prepare_set(engine, list(self._set_images), same_as=True)

    def _decode(self, data: bytes) -> np.ndarray:
        return decode_image(
            data, max_bytes=int(self.cfg.max_upload_mb * 1e6), max_side=self.cfg.max_side
        )

    # ---- on, off, options ------------------------------------------------------------------

    def start(self) -> dict[str, Any]:
        with self._lock:
            if not self._live.has_source:
                raise NoSource("load a face first")
            self._publish(enabled=True)
        self._save_live()
        log.info("face swap on")
        return self.status()

    def stop(self) -> dict[str, Any]:
        with self._lock:
            was = self._live.enabled
            self._publish(enabled=False)
        self._save_live()
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

    def update(
        self, engine: str | None, changes: dict[str, Any], *, load_enhancer: bool = True
    ) -> dict[str, Any]:
        """Validate everything first; a refused change changes nothing. ``load_enhancer``
        false (a saved state restored): an enhancer chosen is loaded in the background
        instead, and one that cannot run here is said in status, not refused."""
        if "guard" in changes:  # no FaceOptions: set once the rest applied (guard.py)
            changes = dict(changes)
            mode = changes.pop("guard")
            if mode not in MODES:
                raise FaceError(f"guard: one of {', '.join(MODES)}", "guard")
            if engine is not None or changes:
                self.update(engine, changes, load_enhancer=load_enhancer)
            self.guard.mode = mode
            self._save_live()
            return self.status()
        wanted = self._merged(self._live.options, changes)
        if "enhancer" in changes and load_enhancer:  # created now, or refused: no change
            if wanted.enhancer != ENHANCER_OFF:
                self._enhancer(wanted.enhancer)  # EnhancerUnavailable (503) names the reason
            self.enhancer_fault.clear()
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
            self._save_live()
            return self.status()
        with self._work:
            new = self._engine(engine)  # EngineUnavailable (503) names the reason
            loaded = self._loaded
            source, info = self._live.source, self._source_info
            if loaded is not None:
                source, info = self._prepare(
                    new, loaded.image, None, loaded.name, same_as=loaded.box
                )
                source, info = self._set_for(new, source, info)  # a face set: all its photos
            people = self._people_for(new)  # the reference and map described by this engine
            with self._lock:
                options = self._merged(self._live.options, changes)
                if loaded is not None and source is not None:  # (prepared above)
                    self._loaded = LoadedImage(
                        loaded.image, loaded.name, loaded.face_index, source.box
                    )
                self.engine_name = engine
                self._source_info = info
                self._publish(engine=new, source=source, options=options, people=people, reset=True)
        self._save_live()
        log.info("face engine switched to %s", engine)
        return self.status()

    # ---- what survives a restart (face/store.py), the guard's figures (guard.py) -------------

    def _save(
        self, section: str, value: dict[str, Any] | None, images: dict[str, Any] | None
    ) -> None:
        """Keep a section of the state (the studio's ``store``); a failed write is logged,
        the change itself stands."""
        if self.store is None or not self.saving:
            return
        try:
            self.store.write(section, value, images)
        except (OSError, ValueError) as exc:
            log.warning("face state not saved in %s: %s", self.store.folder, exc)

    def _save_live(self) -> None:
        live = self._live
        self._save(
            "live",
            {
                "enabled": live.enabled,
                "engine": self.engine_name,
                "options": live.options.model_dump(mode="json"),
                "guard": self.guard.mode,
            },
            None,
        )

    def guard_status(self) -> dict[str, Any]:
        return {
            "guard": self.guard.mode,
            "frames_guarded": self.guard.frames_guarded,
            "false_swaps_prevented": self.false_swaps_prevented,
            "restoring": self.restoring,
        }

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

    @property
    def has_source(self) -> bool:
        """A face to swap in: the loaded one or a face map's (start() needs one)."""
        return self._live.has_source

    # ---- the live path ---------------------------------------------------------------------

    def process(self, image: np.ndarray, tracker: Any, timings: dict[str, float]) -> np.ndarray:
        """Swap the faces in one frame (called by the pipeline's process thread only)."""
        if self._tracker_reset.is_set():  # before the snapshot: it is at least as new
            self._tracker_reset.clear()
            tracker.reset()
        if self._redetect.is_set():
            self._redetect.clear()
            tracker.detect_soon()
        self.matcher.offer(image)  # a reference picked in the current frame waits for it
        live = self._live
        if not live.enabled or live.engine is None or not live.has_source:
            if (live.enabled or self.restoring) and self.guard.on:
                return self.guard.apply(image, None)  # wanted, not possible yet: guard.py
            self.guard.forget()
            return image
        suspects: list[np.ndarray] = []  # faces that failed this frame's check (confirm.py)
        dropped = tracker.unconfirmed_dropped
        try:
            faces = tracker.update(
                live.engine, image, self.matcher.tracking_options(live.people, live.options)
            )
            self.false_swaps_prevented += tracker.unconfirmed_dropped - dropped
            suspects = [f.box for f in faces if f.extra.get("fails")]
            faces = [f for f in faces if not f.extra.get("fails")]  # only confirmed are drawn
            seen = [f.box for f in faces]
            for stage, ms in tracker.last_ms.items():
                timings[f"face.{stage}"] = ms
            t0 = time.perf_counter()
            if faces:
                # by source (the loaded one, a face map's); faces matching no reference stay
                chosen = self.matcher.choose(live.people, live.engine, image, faces, live.source)
                # on a copy: a render that fails half way must leave the frame as it was
                image = image.copy() if chosen else image
                for group, source in chosen:
                    image = live.engine.render(image, group, source, live.options)
                self.matcher.rendered(faces, live.source)
                self.frames_swapped += bool(chosen)
                timings["face.render"] = (time.perf_counter() - t0) * 1000
                if chosen and live.options.enhancer != ENHANCER_OFF:
                    # the swapped faces only (a face matching no reference stays as it is)
                    rendered = [face for group, _source in chosen for face in group]
                    image = self._enhance(image, rendered, live.options, timings)
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
            suspects = [t.box for t in tracker.tracks]
            tracker.reset()
            if self.guard.on:  # where the faces were, or the whole frame (guard.py)
                image = self.guard.apply(image, suspects or None)
                suspects = []
        else:
            image = self.guard.frame(image, seen, suspects)
        stage_ms = dict(self.stage_ms)
        if live.options.enhancer == ENHANCER_OFF:
            stage_ms.pop("face.enhance", None)
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
            **self.guard_status(),
            "stage_ms": {k: round(v, 2) for k, v in self.stage_ms.items()},
            "error": self.fault.active,
            "engines": {e["name"]: e["reason"] or "available" for e in self.engines()},
            "enhancer": self.enhancer_status(),
            **self.people_status(),
        }

    def close(self) -> None:
        with self._work:
            self._closed = True
            for engine in self._engines.values():
                engine.close()
            self._engines.clear()
            for enhancer in self._enhancers.values():
                enhancer.close()
            self._enhancers.clear()


__all__ = ["EngineUnavailable", "FaceFileNotFound", "FaceSwap", "PathRefused"]
