"""Our command lines (``python -m <package>``) run two ways by the same test: through the
package's ``main(argv)`` in this process in the fast loop, and as a real process, as a user
runs it, in the full suite (the ``process`` way is marked ``slow``).

    @pytest.fixture(params=WAYS)
    def cli(request) -> Command:
        return command_line(request.param, "ar_backend.weights")

    def test_list(cli: Command) -> None:
        done = cli("list")
        assert done.returncode == 0 and "missing" in done.stdout

In this process the exit status is what ``main`` returns (or argparse's ``SystemExit``), the
output is what it printed to ``sys.stdout`` and ``sys.stderr``, and the signal handlers it
installs are put back after. Log records go to the test's logging, not to ``stderr``.
"""

from __future__ import annotations

import importlib
import io
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

ROOT = Path(__file__).resolve().parent.parent
WAYS = ["in-process", pytest.param("process", marks=pytest.mark.slow)]


@dataclass
class Exited:
    """What a command line left: its exit status and its output."""

    returncode: int
    stdout: str
    stderr: str


class Command(Protocol):
    def __call__(self, *args: str | Path, timeout: float = ...) -> Exited: ...


def run_module(module: str, args: Sequence[str | Path], timeout: float = 120.0) -> Exited:
    """``python -m module args`` in a fresh process, from the repository's root."""
    done = subprocess.run(
        [sys.executable, "-m", module, *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Exited(done.returncode, done.stdout, done.stderr)


def call_main(main: Callable[[list[str]], int], args: Sequence[str | Path]) -> Exited:
    """``main(args)`` in this process, as ``python -m`` would call it."""
    out, err = io.StringIO(), io.StringIO()
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as exc:  # argparse: 2 with the usage on stderr
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    return Exited(code, out.getvalue(), err.getvalue())


def command_line(way: str, module: str) -> Command:
    """``module``'s command line, run the ``way`` a test's parameter says (:data:`WAYS`)."""
    if way == "process":

        def in_a_process(*args: str | Path, timeout: float = 120.0) -> Exited:
            return run_module(module, args, timeout)

        return in_a_process
    main = importlib.import_module(module + ".__main__").main

    def in_this_process(*args: str | Path, timeout: float = 0.0) -> Exited:
        return call_main(main, args)

    return in_this_process
