"""The engine protocol, its own live options, and the registry of engines by name. The faces
an engine passes around (TargetFace, SourceFace) are in face/faces.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict

from ar_backend.config import FaceConfig, FaceOptions
from ar_backend.face.errors import EngineUnavailable
from ar_backend.face.faces import FaceFinder, SourceFace, TargetFace
from shared.registry import Registry
from shared.wire.backend import EngineInfo


class Engine(FaceFinder, Protocol):
    """A swap engine. As a :class:`FaceFinder` it finds faces with its ``detector``
    (face/detect/) and makes each a :class:`TargetFace` with ``target``; it follows them
    (``refit``), prepares a source and renders. Nothing outside an engine assumes how many
    points a face has."""

    refit_detects: bool  # its refit runs the detector (so a face it refits is one)

    def refit(self, image: np.ndarray, face: TargetFace) -> TargetFace | None:
        """The face again near where it was (between detections); None when lost."""

    def mesh_points(self, mesh: np.ndarray) -> np.ndarray:
        """A face mesh's (468, 3) points (face/detect/face_mesh.py) as the points this engine
        works on: how faces found by MediaPipe's detector and mesh (face/live/follow.py)
        reach it."""

    def prepare_source(self, image: np.ndarray, face: TargetFace) -> SourceFace: ...

    def render(
        self,
        image: np.ndarray,
        faces: list[TargetFace],
        source: SourceFace,
        options: FaceOptions,
    ) -> np.ndarray:
        """The frame with each face swapped; pixels outside the face masks unchanged."""

    def info(self) -> EngineInfo:
        """What status shows: the provider actually active, the model files used (built as
        its wire model: a field it does not declare is an error here)."""

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
