"""The lock files (requirements.lock, requirements-dev.lock) against what the project asks
for (requirements.txt, requirements-dev.txt, pyproject.toml), and the set-up using them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from scripts.lockcheck import (
    DEV_LOCK,
    FIX,
    REFRESH,
    RUNTIME_LOCK,
    disagreements,
    read_lock,
    read_pins,
)
from tests.procs import ROOT

FILES = ("requirements.txt", "requirements-dev.txt", RUNTIME_LOCK, DEV_LOCK, "pyproject.toml")


def test_the_locks_match_the_requirements() -> None:
    problems = disagreements(ROOT)
    assert problems == [], "\n".join([*problems, FIX])


def test_the_fix_names_the_refresh_command() -> None:
    assert REFRESH == "./scripts/lock.sh" and REFRESH in FIX
    assert (ROOT / "scripts" / "lock.sh").stat().st_mode & 0o111  # it can be run as written


def test_every_locked_package_has_a_sha256_of_each_published_file() -> None:
    runtime = read_lock(ROOT / RUNTIME_LOCK)
    assert len(runtime) > len(read_pins(ROOT / "requirements.txt"))  # transitive ones too
    for name, entry in runtime.items():
        assert entry.hashes, name
        assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in entry.hashes), name
    # every platform's wheel of numpy verifies, not only this machine's
    assert len(runtime["numpy"].hashes) > 10
    dev = read_lock(ROOT / DEV_LOCK)
    for name, entry in runtime.items():  # the tests run what users get
        assert (dev[name].version, sorted(dev[name].hashes)) == (
            entry.version,
            sorted(entry.hashes),
        ), name


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for name in FILES:
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_a_changed_pin_is_caught(copy: Path) -> None:
    version = read_pins(copy / "requirements.txt")["flask"]
    edit(copy / "requirements.txt", f"Flask=={version}", "Flask==9.9.9")
    assert f"flask is 9.9.9 in requirements.txt but {version} in requirements.lock" in (
        disagreements(copy)
    )


def test_a_new_package_is_caught(copy: Path) -> None:
    with (copy / "requirements.txt").open("a") as out:
        out.write("pyworld==0.3.5\n")
    problems = disagreements(copy)
    assert "pyworld==0.3.5 (requirements.txt) is not in requirements.lock" in problems
    assert "pyworld==0.3.5 (requirements-dev.txt) is not in requirements-dev.lock" in problems


def test_a_removed_package_is_caught(copy: Path) -> None:
    version = read_pins(copy / "requirements.txt")["tqdm"]
    edit(copy / "requirements.txt", f"tqdm=={version}\n", "")
    problems = disagreements(copy)
    assert any(
        p.startswith(f"tqdm=={version} is in requirements.lock as asked for by requirements.txt")
        for p in problems
    ), problems


def test_a_dev_pin_is_checked_too(copy: Path) -> None:
    version = read_pins(copy / "requirements-dev.txt")["pytest"]
    edit(copy / "requirements-dev.txt", f"pytest=={version}", "pytest==1.0.0")
    assert disagreements(copy) == [
        f"pytest is 1.0.0 in requirements-dev.txt but {version} in requirements-dev.lock"
    ]


def test_a_lock_entry_without_hashes_is_caught(copy: Path) -> None:
    text = (copy / RUNTIME_LOCK).read_text()
    block = re.search(r"^blinker==\S+ \\\n(?:\s+--hash=\S+(?: \\)?\n)+", text, re.M)
    assert block is not None
    version = block.group(0).split("==")[1].split()[0]
    (copy / RUNTIME_LOCK).write_text(text.replace(block.group(0), f"blinker=={version}\n"))
    assert f"blinker=={version} has no hash in requirements.lock" in disagreements(copy)


def test_pip_install_dot_takes_requirements_txt(copy: Path) -> None:
    # pyproject.toml reads its dependencies from requirements.txt: one list, never two
    assert disagreements(copy) == []
    edit(copy / "pyproject.toml", 'file = ["requirements.txt"]', 'file = ["other.txt"]')
    assert any("takes its dependencies from other.txt" in p for p in disagreements(copy))


def test_static_dependencies_in_pyproject_are_compared(copy: Path) -> None:
    edit(copy / "pyproject.toml", 'dynamic = ["dependencies"]', 'dependencies = ["Flask==0.1"]')
    version = read_pins(copy / "requirements.txt")["flask"]
    assert f"flask is 0.1 in pyproject.toml but {version} in requirements.lock" in (
        disagreements(copy)
    )


def test_every_install_uses_a_lock_with_hash_checking() -> None:
    venv = (ROOT / "scripts" / "venv.sh").read_text()
    assert "--require-hashes" in venv and "pip install --upgrade" not in venv
    assert "ensure_venv requirements.lock" in (ROOT / "start_all.sh").read_text()
    for script in ("scripts/run_tests.sh", ".ci/run"):
        assert "ensure_venv requirements-dev.lock" in (ROOT / script).read_text(), script
    assert "requirements.lock" in (ROOT / "scripts" / "install-service.sh").read_text()
