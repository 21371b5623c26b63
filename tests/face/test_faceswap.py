"""FaceSwap's locking: switching the swap off never waits behind a slow load."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from ar_backend.config import FaceConfig
from ar_backend.face import samples
from ar_backend.face.detect import Found
from ar_backend.face.engines.base import REGISTRY, EngineType
from ar_backend.face.faces import SourceFace, TargetFace
from ar_backend.face.live.session import FaceSwap


class OneFace:
    """A detector that finds one face, always in the same place."""

    name, sure = "one", 0.3

    def detect(self, image: np.ndarray, max_side: int = 0, **_: bool) -> list[Found]:
        return [Found(np.array([10.0, 10.0, 90.0, 90.0]), np.zeros((5, 2)), 1.0)]


class GatedEngine:
    """An engine plug-in whose source preparation waits for the test to let it go."""

    name = "gated"
    refit_detects = True

    def __init__(self, cfg: FaceConfig) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.detector = OneFace()

    def target(self, image: np.ndarray, found: Found) -> TargetFace:
        return TargetFace(box=found.box, points=found.keypoints, score=found.score)

    def prepare_source(self, image: np.ndarray, face: TargetFace) -> SourceFace:
        self.entered.set()
        assert self.release.wait(10)
        return SourceFace("gated", face.box, image, face.points)

    def info(self) -> dict:
        return {"provider": "test", "models": []}

    def close(self) -> None:
        pass


@pytest.fixture
def gated_engine():
    REGISTRY.register("gated", EngineType("test", lambda cfg: None, GatedEngine))
    yield
    REGISTRY.unregister("gated")


@pytest.mark.usefixtures("gated_engine")
def test_stop_does_not_wait_behind_a_face_that_is_loading():
    swap = FaceSwap(FaceConfig(engine="gated"))
    image = samples.encode(np.full((100, 100, 3), 128, np.uint8), ".png")
    engine = swap.engines.get("gated")
    engine.release.set()
    swap.load_image(image, None, "first.png")
    swap.start()
    engine.release.clear()
    loading = threading.Thread(target=swap.load_image, args=(image, None, "second.png"))
    loading.start()
    assert engine.entered.wait(10)
    assert swap.stop().enabled is False  # returned while the load still waits
    assert loading.is_alive()
    engine.release.set()
    loading.join(10)
    assert swap.source_status().name == "second.png" and not swap.enabled


def test_the_live_session_stays_small():
    """FaceSwap holds the live snapshot and process(); the rest has rooms of its own
    (engines, enhancer, people, sources, store): 25 methods at most (issue 22)."""
    methods = [
        name
        for name, value in vars(FaceSwap).items()
        if callable(value) or isinstance(value, property | staticmethod | classmethod)
    ]
    assert len(methods) <= 25, sorted(methods)
