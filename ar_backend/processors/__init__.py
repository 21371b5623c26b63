"""Frame processors: small classes registered by name; the pipeline runs them in order.

Importing this package registers every built-in processor.
"""

from ar_backend.processors import background, burn, face_swap, none, overlay  # noqa: F401  (registration)
from ar_backend.processors.base import (
    REGISTRY,
    Processor,
    ProcessorContext,
    ProcessorResources,
    make_processor,
)

__all__ = ["REGISTRY", "Processor", "ProcessorContext", "ProcessorResources", "make_processor"]
