"""Face-swap engines, registered by name. Importing this package registers the built-ins."""

from ar_backend.face.engines import classic, hyperswap, inswapper  # noqa: F401  (registration)
from ar_backend.face.engines.base import (
    REGISTRY,
    Engine,
    EngineOptions,
    EngineType,
    create_engine,
    engine_types,
)

__all__ = [
    "REGISTRY",
    "Engine",
    "EngineOptions",
    "EngineType",
    "create_engine",
    "engine_types",
]
