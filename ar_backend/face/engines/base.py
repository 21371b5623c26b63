"""The engine protocol, the faces it passes around, and the registry of engines by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict

from ar_backend.config import FaceConfig, FaceOptions
from ar_backend.face.errors import EngineUnavailable
from ar_backend.face.imaging.geometry import box_size
from shared.registry import Registry


@dataclass(eq=False)  # compared by identity: its fields are arrays
class TargetFace:
    """A face in a frame: its box, its landmarks (68 dlib points or 5 keypoints), a score."""

    box: np.ndarray
    points: np.ndarray
    score: float = 1.0
    track_id: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    raw: np.ndarray | None = None  # the landmarks as measured, before the tracker smooths

    def __post_init__(self) -> None:
        if self.raw is None:
            self.raw = self.points

    @property
    def size(self) -> float:
        return box_size(self.box)


@dataclass
class SourceFace:
    """The identity to render: prepared once when loaded, read by every frame."""

    engine: str
    box: np.ndarray  # in the uploaded image's pixels
    image: np.ndarray  # the (possibly upscaled) texture the engine renders from
    points: np.ndarray  # landmarks in ``image``
    data: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class Engine(Protocol):
    name: str

    def detect(self, image: np.ndarray, options: FaceOptions) -> list[TargetFace]:
        """All faces in the frame, best first."""

    def refit(self, image: np.ndarray, face: TargetFace) -> TargetFace | None:
        """The face again near where it was (between detections); None when lost."""

    def find_sources(self, image: np.ndarray) -> list[TargetFace]:
        """Faces in an uploaded image (thorough: may be slower than live detection)."""

    def prepare_source(self, image: np.ndarray, face: TargetFace) -> SourceFace: ...

    def render(
        self,
        image: np.ndarray,
        faces: list[TargetFace],
        source: SourceFace,
        options: FaceOptions,
    ) -> np.ndarray:
        """The frame with each face swapped; pixels outside the face masks unchanged."""

    def info(self) -> dict[str, Any]:
        """What status shows: the provider actually active, the model files used."""

    def close(self) -> None: ...


class EngineOptions(BaseModel):
    """An engine's own live options (``face.options.engine_options.<engine>``, changed by
    ``POST /face/settings``), as a voice effect has its ``Params``: each option with its
    bounds, its default and a description. The base has none."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


OptionsT = TypeVar("OptionsT", bound=EngineOptions)


def own_options(options: FaceOptions, engine: str, model: type[OptionsT]) -> OptionsT:
    """``engine``'s own options from the live options (its defaults for what is unset)."""
    return model.model_validate(options.engine_options.get(engine) or {})


@dataclass(frozen=True)
class EngineType:
    """What the registry holds for an engine: ``register("<name>", EngineType(...))``."""

    description: str
    check: Callable[[FaceConfig], str | None]  # why it cannot run here, cheaply; None if it can
    create: Callable[[FaceConfig], Engine]
    options: type[EngineOptions] = EngineOptions  # its own live options


REGISTRY: Registry[EngineType] = Registry("face engine")
register = REGISTRY.register


def engine_types() -> dict[str, EngineType]:
    return dict(REGISTRY.items())


def create_engine(name: str, cfg: FaceConfig) -> Engine:
    """A new engine: :class:`UnknownName` for a name nothing registered,
    :class:`EngineUnavailable` with the reason when it cannot run here."""
    kind = REGISTRY.get(name)
    reason = kind.check(cfg)
    if reason:
        raise EngineUnavailable(f"{name} is unavailable: {reason}")
    return kind.create(cfg)
