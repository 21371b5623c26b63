"""Do the lock files still match what the project asks for?

    python3 scripts/lockcheck.py        exit 0 when they agree, else 1 with each difference

``requirements.txt`` (runtime, also ``pip install .``'s dependencies through pyproject.toml)
and ``requirements-dev.txt`` pin the packages the project names; ``requirements.lock`` and
``requirements-dev.lock`` (made by ``./scripts/lock.sh``: pip-compile --generate-hashes) pin
every package, transitive ones too, with their hashes. Every install uses a lock, so a pin
changed in a requirements file and not in the lock would never take effect: this check says
so, and which command fixes it. Standard library only: the set-up scripts run it with the
system's python3 before any virtualenv exists.
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNTIME, DEV = "requirements.txt", "requirements-dev.txt"
RUNTIME_LOCK, DEV_LOCK = "requirements.lock", "requirements-dev.lock"
REFRESH = "./scripts/lock.sh"
FIX = (
    f"Refresh the locks with {REFRESH} and commit requirements*.txt, {RUNTIME_LOCK} and "
    f"{DEV_LOCK} together."
)

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;#\\]+)")
_HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})\b")
_VIA_SOURCE = re.compile(r"^#\s+(?:via\s+)?(-[rc]\s+\S+)\s*$")


def canonical(name: str) -> str:
    """PEP 503's normal form: ``PyQt5`` and ``pyqt5``, ``face_recognition_models`` and
    ``face-recognition-models`` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class LockEntry:
    version: str
    hashes: list[str] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)  # "-r requirements.txt", "-c ..."


def read_pins(path: Path, seen: set[Path] | None = None) -> dict[str, str]:
    """``name==version`` lines of a requirements file, following ``-r other.txt``."""
    seen = seen if seen is not None else set()
    if path in seen:
        return {}
    seen.add(path)
    pins: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r ", "--requirement ")):
            pins.update(read_pins(path.parent / line.split(None, 1)[1], seen))
            continue
        match = _PIN.match(line)
        if match:
            pins[canonical(match.group(1))] = match.group(3)
    return pins


def read_lock(path: Path) -> dict[str, LockEntry]:
    """A pip-compile output: each pin, its hashes and the input files it comes from."""
    entries: dict[str, LockEntry] = {}
    current: LockEntry | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        match = _PIN.match(raw)
        if match:
            current = entries[canonical(match.group(1))] = LockEntry(match.group(3))
        if current is None:
            continue
        current.hashes += _HASH.findall(line)
        via = _VIA_SOURCE.match(line)
        if via:
            current.sources.add(" ".join(via.group(1).split()))
    return entries


def pyproject_dependencies(root: Path) -> tuple[str | None, dict[str, str]]:
    """Where ``pip install .`` takes its dependencies from: the file named by
    ``[tool.setuptools.dynamic]``, else the static ``[project] dependencies``."""
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    project = data.get("project", {})
    if "dependencies" in project.get("dynamic", []):
        spec = data.get("tool", {}).get("setuptools", {}).get("dynamic", {})
        files = spec.get("dependencies", {}).get("file", [])
        files = [files] if isinstance(files, str) else list(files)
        return ", ".join(files), {}
    pins: dict[str, str] = {}
    for dep in project.get("dependencies", []):
        match = _PIN.match(dep)
        if match:
            pins[canonical(match.group(1))] = match.group(3)
    return None, pins


def compare(
    pins: dict[str, str], lock: dict[str, LockEntry], pins_file: str, lock_file: str, own: set[str]
) -> list[str]:
    """Every pin in the lock at its version; no lock entry that only a removed pin wanted."""
    problems = []
    for name, version in sorted(pins.items()):
        entry = lock.get(name)
        if entry is None:
            problems.append(f"{name}=={version} ({pins_file}) is not in {lock_file}")
        elif entry.version != version:
            problems.append(
                f"{name} is {version} in {pins_file} but {entry.version} in {lock_file}"
            )
    for name, entry in sorted(lock.items()):
        if not entry.hashes:
            problems.append(f"{name}=={entry.version} has no hash in {lock_file}")
        asked = sorted(source.split()[1] for source in entry.sources & own)
        if name not in pins and asked:
            problems.append(
                f"{name}=={entry.version} is in {lock_file} as asked for by "
                f"{', '.join(asked)}, which no longer names it"
            )
    return problems


def disagreements(root: Path = ROOT) -> list[str]:
    """Each way the requirements files, pyproject.toml and the two locks disagree."""
    problems: list[str] = []
    for name in (RUNTIME_LOCK, DEV_LOCK):
        if not (root / name).is_file():
            problems.append(f"{name} is missing")
    if problems:
        return problems
    runtime, dev = read_pins(root / RUNTIME), read_pins(root / DEV)
    runtime_lock, dev_lock = read_lock(root / RUNTIME_LOCK), read_lock(root / DEV_LOCK)
    problems += compare(runtime, runtime_lock, RUNTIME, RUNTIME_LOCK, {f"-r {RUNTIME}"})
    problems += compare(dev, dev_lock, DEV, DEV_LOCK, {f"-r {RUNTIME}", f"-r {DEV}"})
    for name, entry in sorted(runtime_lock.items()):
        other = dev_lock.get(name)
        if other is None or other.version != entry.version:
            problems.append(
                f"{name}=={entry.version} ({RUNTIME_LOCK}) is "
                f"{'missing' if other is None else other.version} in {DEV_LOCK}: the tests "
                "would not run the versions users get"
            )
    source, static = pyproject_dependencies(root)
    if source is not None and source != RUNTIME:
        problems.append(
            f"pyproject.toml takes its dependencies from {source}, not {RUNTIME} (the file "
            f"{RUNTIME_LOCK} is made from)"
        )
    if source is None:
        problems += compare(static, runtime_lock, "pyproject.toml", RUNTIME_LOCK, set())
    return problems


def main() -> int:
    problems = disagreements()
    if not problems:
        return 0
    print("The lock files do not match the requirements:", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    print(FIX, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
