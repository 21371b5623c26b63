"""The set-up (scripts/venv.sh, as start_all.sh, run_tests.sh and CI run it) installs the
locked files and refuses any other: a tampered hash in the lock, a file that is not the one
locked, a package the lock does not pin."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.procs import ROOT

pytestmark = pytest.mark.slow

PACKAGE = "blinker"  # small, pure Python, in the runtime lock
BAD_HASH = hashlib.sha256(b"not the published file").hexdigest()


def locked_entry(name: str) -> str:
    """``name``'s block in requirements.lock: the pin, its hashes and its comments."""
    text = (ROOT / "requirements.lock").read_text()
    match = re.search(rf"^{name}==\S+ \\\n(?:\s+--hash=\S+(?: \\)?\n)+", text, re.M)
    assert match is not None, f"{name} is not in requirements.lock"
    return match.group(0)


def checkout(tmp_path: Path, lock: str) -> Path:
    """A folder laid out as a checkout: scripts/venv.sh and a requirements.lock."""
    root = tmp_path / "checkout"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "venv.sh", root / "scripts" / "venv.sh")
    (root / "requirements.lock").write_text(lock)
    return root


def install(root: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", ". scripts/venv.sh && make_venv && install_lock requirements.lock"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


def installed(root: Path, name: str) -> bool:
    probe = subprocess.run(
        [str(root / ".venv" / "bin" / "python"), "-m", "pip", "show", "-q", name],
        capture_output=True,
    )
    return probe.returncode == 0


def test_the_locked_file_installs(tmp_path: Path) -> None:
    root = checkout(tmp_path, locked_entry(PACKAGE))
    result = install(root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "hash-checked" in result.stdout
    assert installed(root, PACKAGE)
    assert (root / ".venv" / ".installed-requirements.lock").is_file()
    again = install(root)  # unchanged lock: pip is not run again
    assert again.returncode == 0 and "installing" not in again.stdout


def test_a_tampered_hash_in_the_lock_is_refused(tmp_path: Path) -> None:
    entry = re.sub(r"sha256:[0-9a-f]{64}", f"sha256:{BAD_HASH}", locked_entry(PACKAGE))
    root = checkout(tmp_path, entry)
    result = install(root)
    assert result.returncode != 0
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in result.stderr, result.stderr
    assert BAD_HASH in result.stderr  # pip names the expected hash and the one it got
    assert "pip refused requirements.lock" in result.stderr
    assert not installed(root, PACKAGE)
    assert not (root / ".venv" / ".installed-requirements.lock").exists()  # tried again next time


def test_a_substituted_file_is_refused(tmp_path: Path) -> None:
    """The index serves a wheel with the locked name and version but other bytes (a
    compromised mirror): the lock's hashes refuse it."""
    entry = locked_entry(PACKAGE)
    version = entry.split("==")[1].split()[0]
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:",
         "-d", str(wheels), f"{PACKAGE}=={version}"],
        check=True,
        timeout=300,
    )  # fmt: skip
    (wheel,) = wheels.glob("*.whl")
    with zipfile.ZipFile(wheel, "a") as archive:  # a module slipped in
        archive.writestr(f"{PACKAGE}/_payload.py", "print('not from the author')\n")
    root = checkout(tmp_path, entry)
    result = install(root, env={"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels)})
    assert result.returncode != 0
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in result.stderr, result.stderr
    assert hashlib.sha256(wheel.read_bytes()).hexdigest() in result.stderr
    assert not installed(root, PACKAGE)


def test_a_package_the_lock_does_not_pin_is_refused(tmp_path: Path) -> None:
    # flask alone: its dependencies (blinker, click, ...) are not in this "lock"
    root = checkout(tmp_path, locked_entry("flask"))
    result = install(root)
    assert result.returncode != 0
    # pip 23 (a fresh venv's) and pip 26 word it differently; both name the package
    assert "--require-hashes mode" in result.stderr, result.stderr
    assert "blinker" in result.stderr
    assert not installed(root, "flask")
