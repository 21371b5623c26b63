"""Video sources: small classes registered by kind, chosen from a SPEC string.

Importing this package registers every built-in source.
"""

from ar_backend.sources import demo, device, files, url  # noqa: F401  (registration)
from ar_backend.sources.base import (
    REGISTRY,
    BadSpec,
    Source,
    SourceError,
    SourceSpec,
    SourceTooLarge,
    make_source,
    parse_spec,
)

__all__ = [
    "REGISTRY",
    "BadSpec",
    "Source",
    "SourceError",
    "SourceSpec",
    "SourceTooLarge",
    "make_source",
    "parse_spec",
]
