"""The enhancer protocol and the registry of enhancer types by name (as the engines')."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ar_backend.config import FaceConfig
from ar_backend.face.errors import FaceError
from ar_backend.face.faces import TargetFace
from shared.registry import Registry

OFF = "off"


class EnhancerUnavailable(FaceError):
    """The enhancer cannot run here (its model file is missing, corrupt or not a restorer,
    or no execution provider is available); the message says which and how to fix it."""

    field = "enhancer"


class Enhancer(Protocol):
    name: str

    def enhance(
        self, image: np.ndarray, faces: Sequence[TargetFace], strength: float
    ) -> np.ndarray:
        """A new frame: ``image`` with each of ``faces`` restored, blended in at
        ``strength`` (0: unchanged, 1: fully restored); pixels outside each face's mask are
        never touched, and ``image`` itself is left as it was."""

    def info(self) -> dict[str, Any]:
        """What status shows: the provider its session really got, its model file."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class EnhancerType:
    """What the registry holds for an enhancer: ``register("<name>", EnhancerType(...))``."""

    description: str
    check: Callable[[FaceConfig], str | None]  # why it cannot run here, cheaply; None if it can
    create: Callable[[FaceConfig], Enhancer]


REGISTRY: Registry[EnhancerType] = Registry("face enhancer")
register = REGISTRY.register


def enhancer_types() -> dict[str, EnhancerType]:
    return dict(REGISTRY.items())


def unavailable_reason(name: str, cfg: FaceConfig) -> str | None:
    """Why enhancer ``name`` cannot run here (None if it can; ``off`` always can)."""
    if name == OFF:
        return None
    return REGISTRY.get(name, field="enhancer").check(cfg)


def create_enhancer(name: str, cfg: FaceConfig) -> Enhancer:
    """A new enhancer: :class:`UnknownName` for a name nothing registered,
    :class:`EnhancerUnavailable` with the reason when it cannot run here."""
    kind = REGISTRY.get(name, field="enhancer")
    reason = kind.check(cfg)
    if reason:
        raise EnhancerUnavailable(f"{name} is unavailable: {reason}")
    return kind.create(cfg)
