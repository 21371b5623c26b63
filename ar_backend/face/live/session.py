"""``FaceSwap``: the live face swap the studio owns: the live snapshot (the engine in use,
the loaded source face, the live options, on or off, who is swapped: face/live/snapshot.py)
and ``process()``, which swaps the faces of each frame from it.

The API thread changes the snapshot; the pipeline's process thread reads one consistent
snapshot per frame, so a new face or option takes effect on the next frame without
restarting the camera, and the live path never waits for a face to load.

What it publishes on purpose: ``people`` (the reference person and the face map:
face/live/people.py), ``engines`` (those opened, the one in use: face/live/engines.py),
``guard`` (face/live/guard.py). Each change that should survive a restart is told to the
``listeners`` as an event (face/live/events.py); the session never knows who keeps it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ar_backend.config import FaceConfig, FaceOptions, resolve_dir
from ar_backend.face.detect.base import model_files
from ar_backend.face.engines.base import Engine
from ar_backend.face.enhancers.base import OFF as ENHANCER_OFF
from ar_backend.face.enhancers.live import LiveEnhancer
from ar_backend.face.errors import FaceError, NoSource, PathRefused
from ar_backend.face.faces import SourceFace, TargetFace
from ar_backend.face.imaging.images import decode_upload, png
from ar_backend.face.live.engines import EngineCache
from ar_backend.face.live.events import (
    FaceEvent,
    Listener,
    SettingsChanged,
    SourceChanged,
    Upload,
)
from ar_backend.face.live.guard import MODES, Guard
from ar_backend.face.live.options import merged_options
from ar_backend.face.live.people import LivePeople
from ar_backend.face.live.quality import FaceQuality
from ar_backend.face.live.snapshot import Live, Snapshot
from ar_backend.face.live.tracker import Tracker
from ar_backend.face.occlusion.live import Occlusion, Pending
from ar_backend.face.people import faceset
from ar_backend.face.people.reference import Matcher
from ar_backend.face.people.source import (
    Picture,
    prepare_picture,
    prepare_set,
    resolve_picture,
)
from shared.logs import FaultLatch
from shared.messages import text_fields
from shared.wire.backend import FaceLoadOut, FaceSource, FaceStatus, FaceStatusOut

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Followed:
    """The faces of one frame, found ahead of its render (:meth:`FaceSwap.follow`)."""

    engine: Engine | None  # whose points they carry
    faces: list[TargetFace]  # confirmed: to be drawn
    suspects: list[np.ndarray]  # boxes that failed this frame's check: guarded
    tracks: list[np.ndarray]  # boxes of every face followed (guarded on a failure)
    linger_s: float  # how long the guard keeps a face the tracker lost
    prevented: int = 0  # followed faces dropped unconfirmed this frame
    detector_error: str | None = None
    error: Exception | None = None  # the tracker failed on this frame
    in_front: Pending | None = None  # what is in front of the faces, being worked out

    @classmethod
    def failed(cls, engine: Engine | None, exc: Exception) -> Followed:
        """Finding the faces failed: the frame is guarded whole, the failure said once."""
        return cls(engine, [], [], [], 0.0, error=exc)


@dataclass(frozen=True)
class PreparedFace:
    """A face (or face set) made ready for ``engine``, not yet in use (FaceSwap.use_face)."""

    engine: Engine
    source: SourceFace
    info: dict[str, Any]
    loaded: Picture
    set_images: list[Picture]
    items: list[Upload]


class FaceSwap:
    """The live face swap: the API changes its engine, source face and options; the
    ``face_swap`` processor calls ``process()`` on each frame."""

    def __init__(self, cfg: FaceConfig) -> None:
        self.cfg = cfg
        self.sources_dir = resolve_dir(cfg.sources_dir)
        self.models_dir = resolve_dir(cfg.models_dir)
        self.live = Snapshot(Live(None, None, merged_options(cfg.options, {}), False))
        self.engines = EngineCache(cfg, self.live.work)
        self.enhancer = LiveEnhancer(cfg, self.live.work)
        self.matcher = Matcher(dict(cfg.reference_threshold))
        self.people = LivePeople(cfg, self.live, self.engines, self.matcher, self._emit)
        self.guard = Guard(cfg.guard, cfg.guard_hold_max)  # the privacy guard (guard.py)
        self.listeners: list[Listener] = []  # told each change to keep (face/store.py)
        self.restoring = False  # a saved state that switches the swap on is loading
        self._loaded: Picture | None = None  # the source's picture (a set's first photo)
        self._set: list[Picture] = []  # a face set's photos (face/people/faceset.py)
        self._source_info: dict[str, Any] | None = None
        self.fault = FaultLatch(log, "face swap")
        # how faces are found (set by the face_swap processor: face/live/follow.py when
        # MediaPipe's files are there, else tracker.py), and why not MediaPipe's
        self.detection: dict[str, str | None] = {"tracker": None, "reason": None}
        self.frames_swapped = 0
        self.faces_in_frame = 0
        self.frames_without_face = 0
        self.false_swaps_prevented = 0
        self.stage_ms: dict[str, float] = {}
        # what is in front of the faces (face/occlusion), for the live path's frames
        self.model_files = model_files(cfg)  # the verified MediaPipe files (face/detect)
        self.occlusion = Occlusion(self.model_files)
        # what the quality governor has turned down (face/live/quality.py: its knobs)
        self.quality = FaceQuality(
            lambda: self.live.now.options,
            lambda k: self.stage_ms.get(k),
            self.enhancer.cost.mean,
            lambda: self.detection["tracker"],
            lambda: self.engines.active,
            self.occlusion.set_detail,
            lambda: self.occlusion.ms,
        )

    def _emit(self, event: FaceEvent) -> None:
        for listener in list(self.listeners):
            listener(event)

    # ---- the source face -------------------------------------------------------------------

    def load_image(self, data: bytes, face_index: int | None, name: str) -> FaceLoadOut:
        image = decode_upload(data, self.cfg)
        snap = self.live
        with snap.work:
            engine = self.engines.current()
            source, info = prepare_picture(engine, image, face_index, name)
            with snap.lock:
                self._loaded = Picture(image, name, face_index, source.box)
                self._source_info = info
                snap.publish(engine=engine, source=source, reset=engine is not snap.now.engine)
        self._emit(SourceChanged(((data, info["face_index"], name),)))
        log.info("face loaded: %s (%s engine)", name, engine.name)
        return FaceLoadOut(loaded=True, **info)

    def load_images(self, items: list[Upload]) -> FaceLoadOut:
        """A face set: each photo's face (its ``face_index`` when it has several); per face
        and frame the classic engine renders from the photo whose head pose is closest."""
        if len(items) == 1:
            return self.load_image(*items[0])
        if not 1 < len(items) <= self.cfg.max_set:
            raise FaceError(f"a face set has at most {self.cfg.max_set} photos", "image")
        snap = self.live
        photos = pictures(items, self.cfg)
        with snap.work:
            engine = self.engines.current()
            source, info, chosen = prepare_set(engine, photos, same_as=False)
            with snap.lock:
                self._set = chosen
                self._loaded = chosen[0]
                self._source_info = info
                snap.publish(engine=engine, source=source, reset=engine is not snap.now.engine)
        self._emit(SourceChanged(tuple(items)))
        log.info("face set loaded: %d photos (%s engine)", len(items), engine.name)
        return FaceLoadOut(loaded=True, **info)

    def prepare_face(self, items: list[Upload]) -> PreparedFace:
        """The face (one photo) or face set of ``items`` prepared as the source but not yet
        in use (errors as /face/load's): a persona puts it in with :meth:`use_face` between
        two frames, together with its voice and label."""
        if not 1 <= len(items) <= self.cfg.max_set:
            raise FaceError(f"a face set has at most {self.cfg.max_set} photos", "image")
        photos = pictures(items, self.cfg)
        chosen: list[Picture] = []  # a face set's photos, their faces chosen
        with self.live.work:
            engine = self.engines.current()
            if len(items) == 1:
                first = photos[0]
                source, info = prepare_picture(engine, first.image, first.face_index, first.name)
                loaded = Picture(first.image, first.name, first.face_index, source.box)
            else:
                source, info, chosen = prepare_set(engine, photos, same_as=False)
                loaded = chosen[0]
        return PreparedFace(engine, source, info, loaded, chosen, list(items))

    def use_face(self, prepared: PreparedFace) -> None:
        """Put a prepared face in use from the next frame (no engine work: quick). The engine
        must still be the one it was prepared for (FaceError naming ``engine`` else)."""
        snap = self.live
        with snap.lock:
            if self.engines.opened(self.engines.active) is not prepared.engine:
                raise FaceError("the face engine changed meanwhile: apply again", "engine")
            self._loaded = prepared.loaded
            self._set = list(prepared.set_images)
            self._source_info = prepared.info
            reset = prepared.engine is not snap.now.engine
            snap.publish(engine=prepared.engine, source=prepared.source, reset=reset)

    def save_face(self, prepared: PreparedFace) -> None:
        """Keep the face put in use by :meth:`use_face` across a restart."""
        if len(prepared.items) == 1:
            data, _index, name = prepared.items[0]
            self._emit(SourceChanged(((data, prepared.info["face_index"], name),)))
        else:
            self._emit(SourceChanged(tuple(prepared.items)))

    def load_path(self, text: str, face_index: int | None) -> FaceLoadOut:
        """A picture in the sources or models folder; anything else is refused unread."""
        path = resolve_picture(text, [self.sources_dir, self.models_dir])
        limit = int(self.cfg.max_upload_mb * 1e6)
        if path.stat().st_size > limit:
            raise PathRefused(f"{path.name} is larger than {self.cfg.max_upload_mb:g} MB")
        return self.load_image(path.read_bytes(), face_index, path.name)

    def unload(self) -> FaceSource:
        """Forget the loaded face (and face set). A swap left on has nothing to draw: with the
        guard on, frames with a face are guarded until a face is loaded again (a face map, if
        set, still swaps its people)."""
        with self.live.work, self.live.lock:
            self._loaded = None
            self._set = []
            self._source_info = None
            self.live.publish(source=None)
        self._emit(SourceChanged(()))
        log.info("face unloaded")
        return self.source_status()

    def loaded_picture(self) -> Upload | None:
        """The loaded face's picture (PNG: the pixels the swap uses, losslessly), which face
        of it (0 the leftmost) and its name; None with no face loaded. A face set gives its
        first photo. For file jobs of "the loaded face" (ar_backend/jobs)."""
        with self.live.lock:
            loaded, info = self._loaded, self._source_info
        if loaded is None or info is None:
            return None
        try:
            data = png(loaded.image)
        except ValueError:
            return None
        index = info.get("face_index")
        return data, index if isinstance(index, int) else loaded.face_index, loaded.name

    def loaded_pictures(self) -> list[Upload]:
        """Every photo of the loaded face, as PNG (the pixels the swap uses) with which face
        of it and its name: a face set gives each photo; [] with no face loaded."""
        with self.live.lock:
            loaded, info, photos = self._loaded, self._source_info, list(self._set)
        if loaded is None or info is None:
            return []
        if not photos:
            index = info.get("face_index")
            photos = [replace(loaded, face_index=index if isinstance(index, int) else None)]
        out = []
        for photo in photos:
            try:
                out.append((png(photo.image), photo.face_index, photo.name))
            except ValueError:
                continue
        return out

    def source_status(self, thumbnail: bool = True) -> FaceSource:
        """The loaded face (``loaded: false`` alone with none), its thumbnail unless not
        ``thumbnail`` (GET /face/status sends it, every other face answer leaves it out)."""
        info = self._source_info
        if info is None:
            return FaceSource(loaded=False)
        fields = info if thumbnail else {k: v for k, v in info.items() if k != "thumbnail"}
        return FaceSource(loaded=True, **fields)

    # ---- on, off, options, engine ----------------------------------------------------------

    def start(self) -> FaceStatus:
        with self.live.lock:
            if not self.live.now.has_source:
                raise NoSource("load a face first")
            self.live.publish(enabled=True)
        self._settings_changed()
        log.info("face swap on")
        return self.status()

    def stop(self) -> FaceStatus:
        with self.live.lock:
            was = self.live.now.enabled
            self.live.publish(enabled=False)
        self._settings_changed()
        if was:
            log.info("face swap off")
        return self.status()

    def update(
        self, engine: str | None, changes: dict[str, Any], *, load_enhancer: bool = True
    ) -> FaceStatus:
        """Validate everything first; a refused change changes nothing. ``load_enhancer``
        false (a saved state restored): an enhancer chosen is loaded in the background
        instead, and one that cannot run here is said in status, not refused."""
        snap = self.live
        if "guard" in changes:  # no FaceOptions: set once the rest applied (guard.py)
            changes = dict(changes)
            mode = changes.pop("guard")
            if mode not in MODES:
                raise FaceError(f"guard: one of {', '.join(MODES)}", "guard")
            if engine is not None or changes:
                self.update(engine, changes, load_enhancer=load_enhancer)
            self.guard.mode = mode
            self._settings_changed()
            return self.status()
        wanted = merged_options(snap.now.options, changes)
        if "enhancer" in changes and load_enhancer:  # created now, or refused: no change
            if wanted.enhancer != ENHANCER_OFF:
                self.enhancer.get(wanted.enhancer)  # EnhancerUnavailable (503) names the reason
            self.enhancer.fault.clear()
        if engine is None or engine == self.engines.active:
            with snap.lock:  # options only: the faces in view stay tracked
                before = snap.now.options
                options = merged_options(before, changes)
                snap.publish(options=options)
                if (options.many_faces, options.detect_size) != (
                    before.many_faces,
                    before.detect_size,
                ):
                    snap.redetect.set()  # which faces to swap: look again at once
            self._settings_changed()
            return self.status()
        with snap.work:
            new = self.engines.get(engine)  # EngineUnavailable (503) names the reason
            loaded = self._loaded
            source, info, chosen = snap.now.source, self._source_info, self._set
            if loaded is not None:
                source, info = prepare_picture(
                    new, loaded.image, None, loaded.name, same_as=loaded.box
                )
                if len(faceset.members(snap.now.source or source)) > 1 and len(chosen) > 1:
                    source, info, chosen = prepare_set(new, list(chosen), same_as=True)
                loaded = Picture(loaded.image, loaded.name, loaded.face_index, source.box)
            people = self.people.for_engine(new)  # the reference and map, described by it
            with snap.lock:
                options = merged_options(snap.now.options, changes)
                self._loaded, self._set, self._source_info = loaded, chosen, info
                self.engines.active = engine
                snap.publish(engine=new, source=source, options=options, people=people, reset=True)
        self._settings_changed()
        log.info("face engine switched to %s", engine)
        return self.status()

    def _settings_changed(self) -> None:
        now = self.live.now
        options = now.options.model_dump(mode="json")
        self._emit(SettingsChanged(now.enabled, self.engines.active, options, self.guard.mode))

    @property
    def options(self) -> FaceOptions:
        return self.live.now.options

    @property
    def enabled(self) -> bool:
        return self.live.now.enabled

    @property
    def has_source(self) -> bool:
        """A face to swap in: the loaded one or a face map's (start() needs one)."""
        return self.live.now.has_source

    # ---- the live path ---------------------------------------------------------------------

    def follow(
        self, image: np.ndarray, tracker: Tracker, timings: dict[str, float]
    ) -> Followed | None:
        """Find the faces of a frame (the tracker's work, and what is in front of them begun
        on the occlusion's thread), ahead of its render: on the pipeline's prepare thread, a
        frame before :meth:`process` renders it, or by :meth:`process` itself. The tracker is
        only ever touched here. None while the swap is off (nothing to find)."""
        snap = self.live
        if snap.tracker_reset.is_set():  # before the snapshot: it is at least as new
            snap.tracker_reset.clear()
            tracker.reset()
            self.occlusion.reset()
        if snap.redetect.is_set():
            snap.redetect.clear()
            tracker.detect_soon()
        live = snap.now
        if not live.enabled or live.engine is None or not live.has_source:
            return None
        options = self.quality.applied(live.options)  # less, while the governor says so
        tracker.detect_alternate = self.quality.detect_alternate
        dropped = tracker.unconfirmed_dropped
        try:
            found = tracker.update(
                live.engine, image, self.matcher.tracking_options(live.people, options)
            )
        except Exception as exc:  # process() says it, and guards where the faces were
            tracks = [t.box for t in tracker.tracks]
            tracker.reset()
            return Followed(live.engine, [], [], tracks, tracker.linger_s, error=exc)
        for stage, ms in tracker.last_ms.items():
            timings[f"face.{stage}"] = ms
        faces = [f for f in found if not f.extra.get("fails")]  # only confirmed are drawn
        return Followed(
            live.engine,
            faces,
            [f.box for f in found if f.extra.get("fails")],  # failed this frame's check
            [t.box for t in tracker.tracks],
            tracker.linger_s,
            prevented=tracker.unconfirmed_dropped - dropped,
            detector_error=tracker.detector_error,
            # what is in front of them, worked out on the camera's frame beside the render
            in_front=self.occlusion.begin(image, faces) if options.occlusion == "on" else None,
        )

    def process(
        self,
        image: np.ndarray,
        tracker: Tracker,
        timings: dict[str, float],
        followed: Followed | None = None,
        ahead: bool = False,
    ) -> np.ndarray:
        """Swap the faces in one frame (called by the pipeline's process thread only): those
        :meth:`follow` found (``ahead``: on the prepare thread, handed in as ``followed``),
        else found here first."""
        snap = self.live
        if not ahead:
            followed = self.follow(image, tracker, timings)
        self.matcher.offer(image)  # a reference picked in the current frame waits for it
        live = snap.now
        options = self.quality.applied(live.options)  # less, while the governor says so
        engine = live.engine
        possible = live.enabled and engine is not None and live.has_source
        if followed is None and possible:
            # switched on after this frame was looked at (on the prepare thread, while off):
            # it goes out as it came, the switch lands on the next frame
            return image
        if followed is None or engine is None or not possible:
            if (live.enabled or self.restoring) and self.guard.on:
                return self.guard.apply(image, None)  # wanted, not possible yet: guard.py
            self.guard.forget()
            return image
        suspects = list(followed.suspects)
        faces = followed.faces
        if followed.engine is not engine:  # switched since: their points are not its own
            suspects, faces = suspects + [f.box for f in faces], []
        self.false_swaps_prevented += followed.prevented
        try:
            if followed.error is not None:
                raise followed.error
            seen = [f.box for f in faces]
            self.quality.seen(seen, image.shape)
            t0 = time.perf_counter()
            if faces:
                # by source (the loaded one, a face map's); faces matching no reference stay
                chosen = self.matcher.choose(live.people, engine, image, faces, live.source)
                # on a copy: a render that fails half way must leave the frame as it was (and
                # what is in front of the faces comes back from it: occlusion's finish)
                image = image.copy() if chosen else image
                for group, source in chosen:
                    image = engine.render(image, group, source, options)
                self.matcher.rendered(faces, live.source)
                self.frames_swapped += bool(chosen)
                timings["face.render"] = (time.perf_counter() - t0) * 1000
                rendered = [face for group, _source in chosen for face in group]
                if chosen and options.enhancer != ENHANCER_OFF:
                    # the swapped faces only (a face matching no reference stays as it is)
                    image = self.enhancer.enhance(image, rendered, options, timings)
                if followed.in_front is not None and rendered and options.occlusion == "on":
                    t1 = time.perf_counter()
                    image = self.occlusion.finish(followed.in_front, image)
                    timings["face.occlusion"] = followed.in_front.ms  # its own work
                    timings["face.occlusion_wait"] = (time.perf_counter() - t1) * 1000
            else:
                self.frames_without_face += 1
                timings["face.render"] = (time.perf_counter() - t0) * 1000
            self.faces_in_frame = len(faces)
            if followed.detector_error:
                self.fault.fault(f"detector: {followed.detector_error}")
            else:
                self.fault.clear()
        except Exception as exc:  # a bad frame must not stop the stream
            if self.fault.fault(f"{exc.__class__.__name__}: {exc}"):
                log.exception("face swap error; frames pass unchanged until it clears")
            suspects = followed.tracks
            snap.tracker_reset.set()  # (the tracker's own thread resets it: follow())
            if self.guard.on:  # where the faces were, or the whole frame (guard.py)
                image = self.guard.apply(image, suspects or None)
                suspects = []
        else:
            image = self.guard.frame(image, seen, suspects, followed.linger_s)
        stage_ms = dict(self.stage_ms)
        if options.enhancer == ENHANCER_OFF:
            stage_ms.pop("face.enhance", None)
        if options.occlusion == "off":
            stage_ms.pop("face.occlusion", None)
            stage_ms.pop("face.occlusion_wait", None)
        for key, ms in timings.items():
            if key.startswith("face."):
                old = stage_ms.get(key)
                stage_ms[key] = ms if old is None else old * 0.9 + ms * 0.1
        self.stage_ms = stage_ms  # replaced whole: status() may be reading the old one
        return image

    def status(self) -> FaceStatus:
        """The swap's state, engine, options, counters, the loaded face (no thumbnail) and
        who is swapped: the answer of every face change."""
        return FaceStatus(**self._status_fields(thumbnail=False))

    def full_status(self) -> FaceStatusOut:
        """GET /face/status: as :meth:`status`, and the source carries its thumbnail."""
        return FaceStatusOut(**self._status_fields(thumbnail=True))

    def _status_fields(self, thumbnail: bool) -> dict[str, Any]:
        live = self.live.now
        engine = live.engine
        people = self.people.status()
        return {
            "enabled": live.enabled,
            "active": live.enabled and live.source is not None,
            "engine": self.engines.active,
            "engine_info": engine.info() if engine is not None else None,
            "options": live.options.model_dump(),
            "source": self.source_status(thumbnail),
            "faces_in_frame": self.faces_in_frame,
            "frames_swapped": self.frames_swapped,
            "frames_without_face": self.frames_without_face,
            "guard": self.guard.mode,
            "frames_guarded": self.guard.frames_guarded,
            "false_swaps_prevented": self.false_swaps_prevented,
            "restoring": self.restoring,
            "stage_ms": {k: round(v, 2) for k, v in self.stage_ms.items()},
            **text_fields("error", self.fault.active),
            "detection": dict(self.detection),
            "engines": {e.name: e.reason or "available" for e in self.engines.listing()},
            "enhancer": self.enhancer.status(live.options),
            "occlusion": self.occlusion.status(live.options.occlusion == "on"),
            "reference": people.reference,
            "map": people.map,
            "faces": people.faces,
        }

    def close(self) -> None:
        with self.live.work:
            self.engines.close()
            self.enhancer.close()
            self.occlusion.close()


def pictures(items: list[Upload], cfg: FaceConfig) -> list[Picture]:
    """The uploads decoded (their faces not chosen yet)."""
    return [
        Picture(decode_upload(data, cfg), name, index, np.zeros(4)) for data, index, name in items
    ]
