"""Face enhancers (restorers) run on the swapped faces, registered by name. Importing this
package registers the built-ins: gfpgan_1.4, gpen_bfr_256 and gpen_bfr_512."""

from ar_backend.face.enhancers import onnx_restorer  # noqa: F401  (registration)
from ar_backend.face.enhancers.base import (
    OFF,
    REGISTRY,
    Enhancer,
    EnhancerType,
    EnhancerUnavailable,
    create_enhancer,
    enhancer_types,
    unavailable_reason,
)

__all__ = [
    "OFF",
    "REGISTRY",
    "Enhancer",
    "EnhancerType",
    "EnhancerUnavailable",
    "create_enhancer",
    "enhancer_types",
    "unavailable_reason",
]
