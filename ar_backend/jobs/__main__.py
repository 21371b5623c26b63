"""Swap the face in a video or picture file, in this process (no server needed).

    python -m ar_backend.jobs swap IN OUT --face FACE [--face-index N] [--engine E]
        [--many-faces] [--mouth-mask] [--enhancer NAME] [--occlusion on|off]
        [--background off|blur|color|image] [--background-blur S]
        [--background-color #RRGGBB] [--background-image FILE]
        [--quality Q] [--json] [--config F]

A progress bar on a terminal; ``--json``: one JSON line per progress update and a final
``{"state": "done" | "failed" | "cancelled", ...}`` line. Exit status: 0 done, 1 failed (the
reason on stderr), 2 bad arguments, 130 cancelled by Ctrl+C (143 by SIGTERM); a cancelled or
failed job leaves no output file.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from pydantic import ValidationError

from ar_backend.config import BackendConfig, BackgroundConfig, load_backend_config
from ar_backend.face.detect.base import model_files
from ar_backend.face.engines import REGISTRY as ENGINES
from ar_backend.face.occlusion.live import Occlusion
from ar_backend.jobs.render import run_job
from ar_backend.jobs.spec import (
    QUALITY_MAX,
    QUALITY_MIN,
    JobCancelled,
    JobFailed,
    JobSpec,
    Progress,
)
from shared.cli import settle
from shared.config import ConfigError
from shared.places import Places, find_places
from shared.registry import UnknownName

DEFAULT_CONFIG = "config/backend.yaml"  # as ``python -m ar_backend``; used when it exists
PROG = "python -m ar_backend.jobs"
EXIT_DONE, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_SIGNAL = 128


def _quality(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not QUALITY_MIN <= value <= QUALITY_MAX:
        raise argparse.ArgumentTypeError(
            f"{value} is outside {QUALITY_MIN} (best) .. {QUALITY_MAX} (smallest)"
        )
    return value


def _face_index(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("0 is the leftmost face; no negative index")
    return value


def _strength(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:  # (NaN fails this too)
        raise argparse.ArgumentTypeError("between 0 and 1")
    return value


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__.split("\n", 1)[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    swap = commands.add_parser(
        "swap",
        help="swap the face in a video (MP4 out) or a picture (same format out)",
        description="Swap the face from --face into every frame of IN and write OUT "
        "(a video: H.264 MP4 with the input's frames, rate and audio; a picture: JPEG, "
        "PNG or WebP). OUT's folder must exist.",
    )
    swap.add_argument("input", type=Path, metavar="IN", help="video or picture to swap")
    swap.add_argument("output", type=Path, metavar="OUT", help="file to write (.mp4 for a video)")
    swap.add_argument("--face", type=Path, required=True, help="picture holding the source face")
    swap.add_argument(
        "--face-index",
        type=_face_index,
        help="which face of that picture, 0 the leftmost (needed when it has several)",
    )
    swap.add_argument("--engine", help="swap engine (default: the config's face.engine)")
    swap.add_argument(
        "--many-faces", action="store_true", default=None, help="swap every face, not one"
    )
    swap.add_argument(
        "--mouth-mask", action="store_true", default=None, help="keep the target's own mouth"
    )
    swap.add_argument(
        "--enhancer",
        choices=["off", "gfpgan_1.4", "gpen_bfr_256", "gpen_bfr_512"],
        help="face enhancer on the swapped faces (default: the config's face.options.enhancer)",
    )
    swap.add_argument(
        "--enhancer-strength",
        type=_strength,
        help="how much of the enhanced face is kept, 0..1 (default: the config's)",
    )
    swap.add_argument(
        "--occlusion",
        choices=["on", "off"],
        help="hands and objects in front of a face stay in front of the swap (default: the "
        "config's face.options.occlusion; without its model files it is left off, saying so)",
    )
    swap.add_argument(
        "--background",
        choices=["off", "blur", "color", "image"],
        help="behind the person in every frame (default: the config's background.mode)",
    )
    swap.add_argument(
        "--background-blur", type=_strength, help="how strongly blur mode blurs, 0..1"
    )
    swap.add_argument("--background-color", help="color mode's colour, #rrggbb")
    swap.add_argument(
        "--background-image", type=Path, help="image mode's picture (a JPEG, PNG or WebP)"
    )
    swap.add_argument(
        "--quality",
        type=_quality,
        default=20,
        help="H.264 CRF, 0 (best) .. 51 (smallest); default 20",
    )
    swap.add_argument("--json", action="store_true", help="JSON lines instead of a progress bar")
    swap.add_argument(
        "--config",
        help=f"backend config file for the face section (default: {DEFAULT_CONFIG} if present)",
    )
    return ap


class _Cancel:
    """SIGINT and SIGTERM ask the job to stop (it polls between frames)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signum: int | None = None

    def __call__(self) -> bool:
        return self.event.is_set()

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        self.signum = signum
        self.event.set()

    def install(self) -> None:
        signal.signal(signal.SIGINT, self.handle)
        signal.signal(signal.SIGTERM, self.handle)


class _Report:
    """Progress as a tqdm bar (on a terminal), JSON lines (``--json``), or nothing."""

    def __init__(self, as_json: bool, out: TextIO, err: TextIO) -> None:
        self.as_json = as_json
        self.out = out
        self.bar: Any = None
        if not as_json and err.isatty():
            from tqdm import tqdm  # type: ignore[import-untyped]  # (no stubs pinned)

            self.bar = tqdm(total=None, unit="frame", file=err, dynamic_ncols=True)

    def progress(self, progress: Progress) -> None:
        if self.as_json:
            self.line({"state": "running", **progress.as_dict()})
        elif self.bar is not None:
            if progress.frames_total is not None and self.bar.total != progress.frames_total:
                self.bar.total = progress.frames_total
            self.bar.update(progress.frames_done - self.bar.n)
            self.bar.set_postfix(swapped=progress.frames_swapped, refresh=False)

    def line(self, data: dict[str, Any]) -> None:
        self.out.write(json.dumps(data) + "\n")
        self.out.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _load(args: argparse.Namespace) -> BackendConfig:
    path = args.config
    if path is None and Path(DEFAULT_CONFIG).exists():
        path = DEFAULT_CONFIG
    if path is not None and not Path(path).is_file():
        raise ConfigError(f"no config file {path}")
    return load_backend_config(path)


def _background(args: argparse.Namespace, config: BackendConfig) -> BackgroundConfig:
    """The background the arguments ask for over the config's (ValueError naming the
    argument); a picture given alone means image mode."""
    changes: dict[str, Any] = {}
    for name, value in (
        ("mode", args.background),
        ("blur", args.background_blur),
        ("color", args.background_color),
    ):
        if value is not None:
            changes[name] = value
    if args.background_image is not None:
        changes.setdefault("mode", "image")
        changes["image"] = args.background_image.name
    try:
        settings = BackgroundConfig.model_validate({**config.background.model_dump(), **changes})
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "mode"
        option = "--background" if field == "mode" else f"--background-{field}"
        raise ValueError(f"{option}: {err['msg']}") from None
    if settings.mode == "image" and args.background_image is None:
        raise ValueError("--background image needs --background-image FILE")
    return settings


def main(argv: list[str] | None = None, places: Places | None = None) -> int:
    args = parser().parse_args(argv)  # bad arguments: exit 2 with the usage
    if places is not None:
        settle(args, places, "backend.yaml", paths=("input", "output", "face", "background_image"))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        config = _load(args)
        engine = args.engine or config.face.engine
        ENGINES.get(engine, field="--engine")
    except (ConfigError, UnknownName) as exc:
        print(f"{PROG}: {str(exc).strip(chr(34) + chr(39))}", file=sys.stderr)
        return EXIT_USAGE
    try:
        background = _background(args, config)
    except ValueError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    changes = {
        k: v
        for k, v in (
            ("many_faces", args.many_faces),
            ("mouth_mask", args.mouth_mask),
            ("enhancer", args.enhancer),
            ("enhancer_strength", args.enhancer_strength),
            ("occlusion", args.occlusion),
        )
        if v is not None
    }
    options = config.face.options.model_copy(update=changes)
    if options.occlusion == "on":
        reason = Occlusion(model_files(config.face)).unavailable_reason()
        if reason and args.occlusion == "on":  # asked for: refused, as a missing enhancer
            print(
                f"{PROG}: failed: --occlusion: occlusion is unavailable: {reason}", file=sys.stderr
            )
            return EXIT_FAILED
        if reason:  # the config's default: the job runs without it, saying so
            print(f"{PROG}: occlusion is off: {reason}", file=sys.stderr)
            options = options.model_copy(update={"occlusion": "off"})
    spec = JobSpec(
        input_path=args.input,
        output_path=args.output,
        face_path=args.face,
        face_index=args.face_index,
        engine=engine,
        options=options,
        quality=args.quality,
        background=background,
        background_path=args.background_image,
    )
    cancel = _Cancel()
    cancel.install()
    report = _Report(args.json, sys.stdout, sys.stderr)
    try:
        result = run_job(spec, config.face, report.progress, cancel)
    except JobCancelled:
        report.close()
        signum = cancel.signum or signal.SIGINT
        if args.json:
            report.line({"state": "cancelled"})
        print(f"{PROG}: cancelled; no output written", file=sys.stderr)
        return EXIT_SIGNAL + int(signum)
    except JobFailed as exc:
        report.close()
        if args.json:
            report.line({"state": "failed", "reason": exc.reason})
        print(f"{PROG}: failed: {exc.reason}", file=sys.stderr)
        return EXIT_FAILED
    report.close()
    if args.json:
        report.line({"state": "done", **result.as_dict()})
    else:
        print(
            f"done: {result.output_path} ({result.frames} frames: {result.frames_swapped} with "
            f"a face swapped, {result.frames_guarded} with a face blurred, "
            f"{result.frames_faceless} with no face; {result.fps:.1f} fps, audio {result.audio})"
        )
        if result.notice:
            print(f"note: {result.notice}")
    return EXIT_DONE


def cli() -> int:
    """``ar-jobs``: main() with the app's folders (the backend's config and models folder:
    shared/places.py); IN, OUT and --face are read from where they were typed."""
    return main(places=find_places())


if __name__ == "__main__":
    sys.exit(main())
