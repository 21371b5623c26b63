"""Whether this child process has been asked to stop (before it had a handler of its own).

The pre-fork supervisor (``shared.wsgi``) installs :func:`note_stop` as a child's SIGTERM
handler at once after the fork; the child replaces it with its own when it is ready, and
checks :func:`stop_requested` then, so a stop that came in between is not lost.
"""

from __future__ import annotations

from typing import Any

_stop_requested = False


def stop_requested() -> bool:
    return _stop_requested


def note_stop(_signum: int, _frame: Any) -> None:
    global _stop_requested
    _stop_requested = True
