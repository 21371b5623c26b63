"""Where the app's files go: a checkout's folders, or the user's XDG folders when installed."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from shared.cli import settle
from shared.places import CONFIG_FILES, command, find_places
from tests.procs import ROOT


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    """A package folder as pip installs it: site-packages/shared with defaults/ inside."""
    package = tmp_path / "site-packages" / "shared"
    (package / "defaults").mkdir(parents=True)
    for name in (*CONFIG_FILES, "models.yaml"):
        (package / "defaults" / name).write_text((ROOT / "config" / name).read_text())
    return package


def test_a_checkout_keeps_its_own_folders() -> None:
    places = find_places({"XDG_CONFIG_HOME": "/elsewhere"})
    assert places.checkout
    assert places.config_dir == ROOT / "config" and places.home == ROOT
    assert (places.log_dir, places.run_dir) == (ROOT / "logs", ROOT / "run")
    assert places.config_file("backend.yaml") == ROOT / "config" / "backend.yaml"


def test_installed_uses_the_xdg_defaults_under_home(installed: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    places = find_places({"HOME": str(home)}, package_root=installed)
    assert not places.checkout
    assert places.config_dir == home / ".config" / "ar-live-studio"
    assert places.home == home / ".local" / "share" / "ar-live-studio"
    assert places.log_dir == home / ".local" / "state" / "ar-live-studio" / "logs"
    assert places.run_dir == home / ".local" / "state" / "ar-live-studio" / "run"
    assert places.shipped("models.yaml") == installed / "defaults" / "models.yaml"


def test_installed_follows_the_xdg_variables(installed: Path, tmp_path: Path) -> None:
    env = {
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "XDG_DATA_HOME": str(tmp_path / "share"),
        "XDG_STATE_HOME": "relative/ignored",  # the spec: a relative value is ignored
    }
    places = find_places(env, package_root=installed)
    assert places.config_dir == tmp_path / "cfg" / "ar-live-studio"
    assert places.home == tmp_path / "share" / "ar-live-studio"
    assert places.log_dir == tmp_path / "home" / ".local/state/ar-live-studio/logs"
    # a service account (the systemd units) names its folder outright
    served = find_places({**env, "AR_LIVE_STUDIO_HOME": "/opt/ar-live-studio"}, installed)
    assert served.home == Path("/opt/ar-live-studio")


def test_the_config_files_are_copied_once_and_never_overwritten(
    installed: Path, tmp_path: Path
) -> None:
    places = find_places({"HOME": str(tmp_path / "home")}, package_root=installed)
    assert not places.config_dir.exists()
    backend = places.config_file("backend.yaml")
    assert sorted(p.name for p in places.config_dir.iterdir()) == sorted(CONFIG_FILES)
    assert backend.read_text() == (ROOT / "config" / "backend.yaml").read_text()
    backend.write_text("server: {port: 6001}\n")  # the user's edit
    places.config_file("monitor.yaml")
    assert backend.read_text() == "server: {port: 6001}\n"
    assert not (places.config_dir / "models.yaml").exists()  # read from the package


def test_settle_reads_the_users_paths_from_where_they_typed_them(
    installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    places = find_places({"HOME": str(tmp_path / "home")}, package_root=installed)
    typed = tmp_path / "typed"
    typed.mkdir()
    monkeypatch.chdir(typed)
    args = argparse.Namespace(config=None, input=Path("in.mp4"), output="out/o.mp4", face=None)
    settle(args, places, "backend.yaml", paths=("input", "output", "face"))
    assert Path.cwd() == places.home  # the config's data/, models/ ... resolve here
    assert args.input == typed / "in.mp4" and isinstance(args.input, Path)
    assert args.output == str(typed / "out" / "o.mp4")
    assert args.face is None
    assert args.config == str(places.config_dir / "backend.yaml")
    named = argparse.Namespace(config="mine.yaml")
    monkeypatch.chdir(typed)
    settle(named, places, "backend.yaml")
    assert named.config == str(typed / "mine.yaml")
    assert os.path.isdir(places.home)


def test_messages_name_the_command_a_user_has(installed: Path, tmp_path: Path) -> None:
    """A fix a message gives ("fetch it with: ...") is the command this user can run: the
    console command when installed, the module in a checkout."""
    from ar_backend.outputs.sinks import setup_script
    from ar_backend.weights import fetch_command

    copy = find_places({"HOME": str(tmp_path / "home")}, package_root=installed)
    assert command("ar_backend.weights", copy) == "ar-weights"
    assert command("ar_backend.jobs", copy) == "ar-jobs"
    assert command("ar_backend.weights", find_places()) == "python -m ar_backend.weights"
    assert fetch_command("mediapipe_face", "inswapper_128") == (
        "python -m ar_backend.weights fetch mediapipe_face inswapper_128"
    )
    # the virtual camera's script: scripts/ in a checkout, the copy inside the app installed
    assert setup_script() == ROOT / "scripts" / "setup_virtual_camera.sh"
    shipped = setup_script(copy)
    assert shipped.is_file() and shipped.parent.name == "shared"
