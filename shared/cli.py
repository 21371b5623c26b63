"""Command-line pieces the entry points share: --config (all three), --host and --port (the
two services), and which config file that means."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from shared.places import Places, absolute, enter_home


def add_config_arg(parser: argparse.ArgumentParser, default_config: str) -> None:
    parser.add_argument("--config", help=f"YAML config file (default: {default_config})")


def add_server_args(parser: argparse.ArgumentParser, default_config: str, port: int) -> None:
    add_config_arg(parser, default_config)
    parser.add_argument("--host", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help=f"port (default {port})")


def config_path(args: argparse.Namespace, default_config: str) -> str | None:
    """The --config file, else the default file when it exists, else None (defaults)."""
    if args.config:
        return str(args.config)
    return default_config if Path(default_config).exists() else None


def server_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """--host and --port as config overrides (they win over the file and the environment)."""
    server = {k: v for k, v in (("host", args.host), ("port", args.port)) if v}
    return {"server": server} if server else {}


def settle(
    args: argparse.Namespace, places: Places, config: str, paths: tuple[str, ...] = ()
) -> None:
    """An installed command's arguments (``ar-backend``, ``yl-monitor``...; shared/places.py):
    the paths the user typed (``--config`` and ``args.<name>`` for each of ``paths``) made
    absolute from where they were typed, ``--config`` defaulting to ``config`` in the config
    folder, then the app's folder made the working folder, where the config's relative
    paths (``data/``, ``models/``...) resolve."""
    for name in paths:
        value = getattr(args, name)
        if value is not None:  # a str stays a str, a Path a Path
            setattr(args, name, type(value)(absolute(str(value))))
    args.config = absolute(args.config) or str(places.config_file(config))
    enter_home(places)
