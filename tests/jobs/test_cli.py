"""``python -m ar_backend.jobs swap`` end to end: its exit status, the file, its JSON lines,
its messages (through its ``main`` in this process in the fast loop, as a real process as a
user runs it in the full suite: tests/cli.py); Ctrl+C halfway leaves nothing behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import av
import cv2
import pytest

from ar_backend.face import samples
from tests.cli import ROOT, WAYS, Command, Exited, command_line
from tests.jobs.clip import Clip, make_clip

TIMEOUT = 180


@pytest.fixture(params=WAYS)
def swap(request: pytest.FixtureRequest) -> Command:
    """``python -m ar_backend.jobs swap ARGS...``"""
    run = command_line(request.param, "ar_backend.jobs")

    def _swap(*args: str | Path, timeout: float = TIMEOUT) -> Exited:
        return run("swap", *args, timeout=timeout)

    return _swap


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def config(folder: Path) -> Path:
    path = folder / "backend.yaml"
    path.write_text("face:\n  engine: classic\n  options:\n    many_faces: false\n")
    return path


@pytest.fixture(scope="module")
def face(folder: Path) -> Path:
    path = folder / "face.png"
    cv2.imwrite(str(path), samples.group())
    return path


@pytest.fixture(scope="module")
def clip(folder: Path) -> Clip:
    return make_clip(folder / "clip.mp4", seconds=1.0, fps=10)


def test_a_swap_exits_0_with_the_file(
    swap: Command, tmp_path: Path, clip: Clip, face: Path, config: Path
) -> None:
    out = tmp_path / "out.mp4"
    done = swap(clip.path, out, "--face", face, "--face-index", "0", "--config", config)
    assert done.returncode == 0, done.stderr
    assert f"done: {out}" in done.stdout
    with av.open(str(out)) as written:
        assert written.streams.video[0].frames == clip.frames
        assert written.streams.audio


def test_json_lines_report_progress_and_the_end(
    swap: Command, tmp_path: Path, clip: Clip, face: Path, config: Path
) -> None:
    out = tmp_path / "out.mp4"
    done = swap(
        clip.path, out, "--face", face, "--face-index", "0", "--json", "--quality", "28",
        "--config", config,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines[0]["state"] == "running" and lines[0]["frames_total"] == clip.frames
    assert all(line["state"] == "running" for line in lines[:-1])
    last = lines[-1]
    assert last["state"] == "done"
    assert last["frames"] == clip.frames and last["frames_swapped"] == clip.frames
    assert (last["frames_guarded"], last["frames_faceless"], last["notice"]) == (0, 0, None)
    assert all("frames_guarded" in line for line in lines[:-1]), "counted as it goes"
    assert last["audio"] == "copied" and Path(last["output_path"]) == out
    assert out.is_file()


def test_a_missing_input_exits_1_saying_so(
    swap: Command, tmp_path: Path, face: Path, config: Path
) -> None:
    gone = tmp_path / "gone.mp4"
    failed = swap(gone, tmp_path / "out.mp4", "--face", face, "--json", "--config", config)
    assert failed.returncode == 1
    assert f"no such file: {gone}" in failed.stderr
    assert json.loads(failed.stdout.splitlines()[-1]) == {
        "state": "failed",
        "reason": f"no such file: {gone}",
    }
    assert os.listdir(tmp_path) == []


def test_a_face_picture_with_several_faces_exits_1_naming_face_index(
    swap: Command, tmp_path: Path, clip: Clip, face: Path, config: Path
) -> None:
    failed = swap(clip.path, tmp_path / "out.mp4", "--face", face, "--config", config)
    assert failed.returncode == 1
    assert "face_index" in failed.stderr
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--quality", "99"], "--quality"),
        (["--face-index", "-1"], "--face-index"),
        (["--engine", "nosuch"], "unknown face engine 'nosuch'"),
        (["--config", "nosuch.yaml"], "nosuch.yaml"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(
    swap: Command,
    tmp_path: Path,
    clip: Clip,
    face: Path,
    config: Path,
    extra: list[str],
    message: str,
) -> None:
    args: list[str | Path] = [clip.path, tmp_path / "out.mp4", "--face", face, "--config", config]
    args += extra
    bad = swap(*args)
    assert bad.returncode == 2
    assert message in bad.stderr
    assert os.listdir(tmp_path) == []


def test_no_face_argument_exits_2(swap: Command, tmp_path: Path, clip: Clip) -> None:
    bad = swap(clip.path, tmp_path / "out.mp4")
    assert bad.returncode == 2
    assert "--face" in bad.stderr


@pytest.mark.slow  # a signal to a real process
def test_ctrl_c_halfway_exits_130_and_leaves_nothing(
    tmp_path: Path, face: Path, config: Path
) -> None:
    long = make_clip(tmp_path / "long.mp4", seconds=4.0)
    out = tmp_path / "out.mp4"
    args = [long.path, out, "--face", face, "--face-index", "0", "--json", "--config", config]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ar_backend.jobs", "swap", *map(str, args)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # the first frames are done: the job is under way
            if json.loads(line).get("frames_done", 0) > 0:
                break
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert json.loads(rest.splitlines()[-1]) == {"state": "cancelled"}
    assert "cancelled" in err
    assert sorted(os.listdir(tmp_path)) == ["long.mp4"]
