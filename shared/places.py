"""Where the app's files live: a checkout's folders, or the user's standard (XDG) folders
when the app was installed with ``pipx install`` / ``pip install``.

- config files: ``config/`` in a checkout; installed, ``$XDG_CONFIG_HOME/ar-live-studio``
  (``~/.config/ar-live-studio``), each copied there from the defaults inside the package on
  first use (never overwritten);
- the app's folder, where the config's relative paths (``data/``, ``models/``,
  ``recordings/``, ``media/``, ``faces/``, ``outputs/``) resolve: the checkout; installed,
  ``$AR_LIVE_STUDIO_HOME``, else ``$XDG_DATA_HOME/ar-live-studio``
  (``~/.local/share/ar-live-studio``);
- logs and pid files of ``ar-live-studio start``: ``logs/`` and ``run/`` in a checkout;
  installed, ``$XDG_STATE_HOME/ar-live-studio/logs`` and ``.../run``
  (``~/.local/state/ar-live-studio``).

A checkout is the folder holding this package with ``pyproject.toml`` and
``config/backend.yaml`` beside it (``python -m ...`` from the repository, or an editable
install); an installed copy lives in a site-packages folder, with the config files inside
the package as ``shared/defaults`` (setup.py ships ``config/`` there).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP = "ar-live-studio"
# the files a user edits, copied together on first use; models.yaml stays in the package
CONFIG_FILES = ("monitor.yaml", "backend.yaml", "user_gui.yaml", "services.yaml")
HOME_VARIABLE = "AR_LIVE_STUDIO_HOME"
PACKAGE_ROOT = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Places:
    checkout: bool
    config_dir: Path  # the config files a user edits
    home: Path  # the working folder: relative paths in the config resolve here
    log_dir: Path
    run_dir: Path
    defaults_dir: Path  # the config files as shipped (config/ in a checkout)

    def config_file(self, name: str) -> Path:
        """``name`` (``backend.yaml``) in the config folder. Installed, the config files the
        user has not got yet are first copied there from the shipped defaults (all of them,
        so monitor.yaml finds services.yaml beside it), and never overwritten."""
        if not self.checkout:
            for each in CONFIG_FILES:
                target = self.config_dir / each
                if not target.exists() and (self.defaults_dir / each).is_file():
                    self.config_dir.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(self.defaults_dir / each, target)
        return self.config_dir / name

    def shipped(self, name: str) -> Path:
        """A file shipped with the app's config (``models.yaml``), never copied."""
        return self.defaults_dir / name


def _xdg(environ: Mapping[str, str], variable: str, fallback: str) -> Path:
    # the XDG spec: an unset, empty or relative value means the default
    value = environ.get(variable, "")
    if value and os.path.isabs(value):
        return Path(value)
    return Path(environ.get("HOME") or Path.home()) / fallback


def find_places(
    environ: Mapping[str, str] | None = None, package_root: Path = PACKAGE_ROOT
) -> Places:
    """The folders for this run: the checkout's when the package is imported from one, else
    the user's XDG folders."""
    env = os.environ if environ is None else environ
    root = package_root.parent
    if (root / "pyproject.toml").is_file() and (root / "config" / "backend.yaml").is_file():
        config = root / "config"
        return Places(True, config, root, root / "logs", root / "run", config)
    state = _xdg(env, "XDG_STATE_HOME", ".local/state") / APP
    home_value = env.get(HOME_VARIABLE, "")
    home = Path(home_value) if home_value else _xdg(env, "XDG_DATA_HOME", ".local/share") / APP
    return Places(
        checkout=False,
        config_dir=_xdg(env, "XDG_CONFIG_HOME", ".config") / APP,
        home=home,
        log_dir=state / "logs",
        run_dir=state / "run",
        defaults_dir=package_root / "defaults",
    )


def enter_home(places: Places) -> None:
    """Make the app's folder the working folder, as start_all.sh's ``cd`` and the systemd
    units' WorkingDirectory do: the config's relative paths resolve there. Paths the user
    typed are made absolute by the caller first."""
    places.home.mkdir(parents=True, exist_ok=True)
    os.chdir(places.home)


def absolute(path: str | None) -> str | None:
    """A path the user typed, made absolute from where they typed it (before enter_home)."""
    return None if path is None else str(Path(path).expanduser().absolute())


# what a user types to run each part: installed, its console command; in a checkout, the
# module (README's commands, with the checkout's .venv)
COMMANDS = {
    "ar_backend": "ar-backend",
    "ar_backend.jobs": "ar-jobs",
    "ar_backend.weights": "ar-weights",
    "user_gui": "ar-studio",
    "yl_monitor": "yl-monitor",
}


def command(module: str, places: Places | None = None) -> str:
    """The command line that runs ``module`` (a key of :data:`COMMANDS`) for this user:
    ``ar-weights`` when installed, ``python -m ar_backend.weights`` in a checkout; used in
    every message that tells a person what to run."""
    checkout = (places or find_places()).checkout
    return f"python -m {module}" if checkout else COMMANDS[module]
