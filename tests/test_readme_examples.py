"""Every example of README's "Adding a part" runs as it stands, against the real registries:
each is loaded as its own module (which registers it), used as the studio would use it, and
taken out of its registry again."""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from ar_backend.face import samples

README = Path(__file__).resolve().parents[1] / "README.md"
EXAMPLE = re.compile(
    r"<!-- example: (?P<name>[\w ]+) -->\n\s*```python\n(?P<code>.*?)\n\s*```", re.S
)


def examples() -> dict[str, str]:
    found = {
        m["name"]: textwrap.dedent(m["code"])
        for m in EXAMPLE.finditer(README.read_text(encoding="utf-8"))
    }
    return found


def load(name: str, tmp_path: Path) -> ModuleType:
    """The README's example ``name`` as a module of its own (importing it registers it)."""
    path = tmp_path / f"readme_{name.replace(' ', '_')}.py"
    path.write_text(examples()[name], encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # (dataclasses and pydantic look their module up)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def registered(tmp_path: Path) -> Iterator[list[tuple[object, str]]]:
    """(registry, name) pairs to take out again after the test."""
    added: list[tuple[object, str]] = []
    yield added
    for registry, name in added:
        registry.unregister(name)  # type: ignore[attr-defined]
    for key in [k for k in sys.modules if k.startswith("readme_")]:
        del sys.modules[key]


def test_the_readme_has_an_example_for_each_kind_of_part() -> None:
    assert set(examples()) == {
        "detector",
        "engine",
        "enhancer",
        "effect",
        "processor",
        "source",
        "alert rule",
    }


@functools.lru_cache(maxsize=1)
def astronaut_face_box() -> np.ndarray:
    from ar_backend.face.detect.dlib_hog import DlibHog

    return np.asarray(DlibHog().detect(samples.astronaut())[0].box, np.float64)


def test_a_detector(tmp_path: Path, registered: list[tuple[object, str]]) -> None:
    from ar_backend.config import FaceConfig
    from ar_backend.face.detect import FACE_DETECTORS, create_runner
    from ar_backend.face.imaging.geometry import iou

    load("detector", tmp_path)
    registered.append((FACE_DETECTORS, "dlib_hog_small"))
    detector = create_runner(FACE_DETECTORS, "dlib_hog_small", FaceConfig())
    small = samples.astronaut()[::2, ::2].copy()  # the face about 60 px across
    found = detector.detect(small)
    assert found and iou(found[0].box, astronaut_face_box() / 2) > 0.5, "the face, found small"


def test_an_engine_in_the_live_session(
    tmp_path: Path, registered: list[tuple[object, str]]
) -> None:
    """Chosen by name, it loads a face and blurs the face of each frame the live path swaps."""
    from ar_backend.config import FaceConfig
    from ar_backend.face.engines.base import REGISTRY
    from ar_backend.face.imaging.warp import clip_box
    from ar_backend.face.live.session import FaceSwap
    from ar_backend.face.live.tracker import FaceTracker

    load("engine", tmp_path)
    registered.append((REGISTRY, "blur"))
    swap = FaceSwap(FaceConfig(engine="blur"))
    try:
        swap.load_image(samples.encode(samples.astronaut()), None, "astronaut.png")
        swap.start()
        frame = samples.astronaut()
        out = swap.process(frame.copy(), FaceTracker(), {})
        x0, y0, x1, y1 = clip_box(astronaut_face_box(), frame.shape)
        changed = np.abs(out.astype(int) - frame.astype(int)).sum(axis=2) > 0
        assert changed[y0:y1, x0:x1].mean() > 0.5, "the face is blurred"
        assert not changed[:, : max(0, x0 - 60)].any(), "nothing left of it changed"
        assert swap.status().frames_swapped == 1
    finally:
        swap.close()


def test_an_enhancer(tmp_path: Path, registered: list[tuple[object, str]]) -> None:
    from ar_backend.config import FaceConfig
    from ar_backend.face.enhancers import REGISTRY, create_enhancer
    from ar_backend.face.faces import TargetFace

    load("enhancer", tmp_path)
    registered.append((REGISTRY, "sharpen"))
    image = samples.astronaut()
    box = astronaut_face_box()
    face = TargetFace(box=box, points=np.zeros((0, 2)))
    out = create_enhancer("sharpen", FaceConfig()).enhance(image, [face], 0.8)
    changed = np.abs(out.astype(int) - image.astype(int)).sum(axis=2) > 0
    x0, y0, x1, y1 = (int(v) for v in box)
    assert changed[y0:y1, x0:x1].any() and not changed[:, : x0 - 1].any()
    assert out is not image


def test_a_voice_effect(tmp_path: Path, registered: list[tuple[object, str]]) -> None:
    from ar_backend.audio.chain import EffectChain
    from ar_backend.audio.effects import REGISTRY, make_effect

    load("effect", tmp_path)
    registered.append((REGISTRY, "tremolo"))
    effect = make_effect("tremolo", {"rate_hz": 10.0, "depth": 1.0}, 48000, 1)
    out = effect.process(np.full((4800, 1), 0.5, np.float32))  # 100 ms: one wobble
    assert out.min() < 0.05 and out.max() > 0.45
    chain = EffectChain(48000, 1, 4)  # and the chain (the API, config) takes it by name
    assert [e.type for e in chain.set_effect("tremolo", {"depth": 0.2})] == ["tremolo"]


def test_a_processor(tmp_path: Path, registered: list[tuple[object, str]]) -> None:
    from ar_backend.config import PipelineConfig
    from ar_backend.frames import Frame
    from ar_backend.processors import REGISTRY, ProcessorContext, make_processor

    load("processor", tmp_path)
    registered.append((REGISTRY, "mirror"))
    image = samples.astronaut()
    frame = make_processor("mirror", PipelineConfig()).process(
        Frame(image.copy(), 1, 0.0), ProcessorContext()
    )
    assert np.array_equal(frame.image, image[:, ::-1])


def test_a_source(tmp_path: Path, registered: list[tuple[object, str]]) -> None:
    from ar_backend.config import CameraConfig
    from ar_backend.sources import SourceSpec, make_source
    from ar_backend.sources.base import REGISTRY

    load("source", tmp_path)
    registered.append((REGISTRY, "noise"))
    cfg = CameraConfig(width=64, height=48, fps=100)
    source = make_source(SourceSpec("noise", ""), cfg)
    source.open()
    frame = source.read()
    source.close()
    assert frame is not None and frame.shape == (48, 64, 3)


def test_an_alert_rule(tmp_path: Path, registered: list[tuple[object, str]]) -> None:
    from shared.messages import msg
    from yl_monitor.config import AlertsConfig
    from yl_monitor.evaluator import active_causes, severity
    from yl_monitor.rules import RULES

    load("alert rule", tmp_path)
    registered.append((RULES, "reports_error"))
    node = {"node_id": "be-1", "status": "error", "cpu_streak": 0, "mem_streak": 0}
    causes = active_causes(node, "online", msg("text", text="fine"), AlertsConfig())
    assert str(causes["reports_error"]) == "be-1 reports an error"
    assert severity("reports_error") == "warning"
    assert "reports_error" not in active_causes(
        {**node, "status": "running"}, "online", msg("text", text="fine"), AlertsConfig()
    )
