"""Checking that a path named in a request stays inside the folders it may name."""

from __future__ import annotations

from pathlib import Path


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` lies in ``folder`` (both already resolved: '..' and links undone)."""
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False
