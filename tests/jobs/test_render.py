"""File jobs through ``run_job``, in process, with the classic engine: what a user sees in
the file they get (its frames, rate and sound, the face swapped, the rest untouched), and
what they are told when a file cannot be swapped."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from PIL import Image

from ar_backend.config import FaceConfig, FaceOptions
from ar_backend.face import samples
from ar_backend.face.engines import Engine, create_engine
from ar_backend.face.faces import picture_faces
from ar_backend.face.samples import liveclip
from ar_backend.jobs.render import run_job
from ar_backend.jobs.spec import JobCancelled, JobFailed, JobResult, JobSpec, Progress
from tests.conftest import require_or_skip
from tests.jobs.clip import (
    Clip,
    background,
    decode_audio,
    decode_frames,
    make_clip,
    peak_hz,
    rotation_of,
)

CHANGED = 8.0  # mean abs difference (0-255) inside a face that was swapped
CODEC_NOISE = 4.0  # mean abs difference allowed away from the faces


@pytest.fixture(scope="module")
def engine() -> Engine:
    return create_engine("classic", FaceConfig())


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jobs")


@pytest.fixture(scope="module")
def group_png(folder: Path) -> Path:
    path = folder / "group.png"
    cv2.imwrite(str(path), samples.group())
    return path


@pytest.fixture(scope="module")
def astronaut_png(folder: Path) -> Path:
    path = folder / "astronaut.png"
    cv2.imwrite(str(path), samples.astronaut())
    return path


@pytest.fixture(scope="module")
def clip(folder: Path) -> Clip:
    # 10 fps: what is checked holds for each frame; each frame is a face found and swapped
    return make_clip(folder / "clip.mp4", seconds=3.0, size=(640, 480), fps=10, tone_hz=440.0)


Run = tuple[JobResult, list[Progress]]


@pytest.fixture(scope="module")
def swapped(folder: Path, clip: Clip, group_png: Path, engine: Engine) -> Run:
    """The clip with the group photo's leftmost face swapped in."""
    seen: list[Progress] = []
    spec = JobSpec(clip.path, folder / "swapped.mp4", group_png, face_index=0)
    result = run_job(spec, FaceConfig(), seen.append, lambda: False, engine)
    return result, seen


def grown(box: np.ndarray, factor: float, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = (float(v) for v in box)
    cx, cy, hw, hh = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2 * factor, (y1 - y0) / 2 * factor
    h, w = shape[:2]
    return (
        max(0, int(cx - hw)),
        max(0, int(cy - hh)),
        min(w, int(np.ceil(cx + hw))),
        min(h, int(np.ceil(cy + hh))),
    )


def diff_inside(a: np.ndarray, b: np.ndarray, box: np.ndarray, factor: float = 0.6) -> float:
    """Mean abs difference in the middle of a face box (eyes, nose, mouth)."""
    x0, y0, x1, y1 = grown(box, factor, a.shape)
    return float(cv2.absdiff(a[y0:y1, x0:x1], b[y0:y1, x0:x1]).mean())


def diff_outside(a: np.ndarray, b: np.ndarray, boxes: list[np.ndarray]) -> float:
    """Mean abs difference away from the faces (each box grown by 60%)."""
    keep = np.ones(a.shape[:2], bool)
    for box in boxes:
        x0, y0, x1, y1 = grown(box, 1.6, a.shape)
        keep[y0:y1, x0:x1] = False
    return float(cv2.absdiff(a, b)[keep].mean())


def leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n not in keep)


# ---- a video ----------------------------------------------------------------------------------


def test_the_video_keeps_its_frames_rate_and_sound(swapped: Run, clip: Clip) -> None:
    result, _ = swapped
    assert result.frames == clip.frames
    assert result.audio == "copied"
    with av.open(str(clip.path)) as before, av.open(str(result.output_path)) as after:
        vin, vout = before.streams.video[0], after.streams.video[0]
        assert vout.codec_context.name == "h264"
        assert vout.codec_context.pix_fmt == "yuv420p"
        assert vout.frames == vin.frames == clip.frames
        assert vout.average_rate == vin.average_rate == clip.fps
        assert (vout.width, vout.height) == clip.size
        assert vout.duration is not None and vout.time_base is not None
        video_s = float(vout.duration * vout.time_base)
        assert video_s == pytest.approx(clip.seconds, abs=1 / clip.fps)
        (aout,) = after.streams.audio
        assert aout.codec_context.name == "aac"
        assert aout.duration is not None and aout.time_base is not None
        audio_s = float(aout.duration * aout.time_base)
        assert audio_s == pytest.approx(video_s, abs=1 / clip.fps)
    assert len(decode_frames(result.output_path)) == clip.frames
    sound, rate = decode_audio(result.output_path)
    assert len(sound) / rate == pytest.approx(clip.seconds, abs=1 / clip.fps)
    assert peak_hz(sound, rate) == pytest.approx(clip.tone_hz, abs=3)


def test_the_face_is_swapped_in_every_frame_and_nothing_else_changes(
    swapped: Run, clip: Clip
) -> None:
    result, _ = swapped
    before, after = decode_frames(clip.path), decode_frames(result.output_path)
    changed = [
        diff_inside(a, b, box) > CHANGED
        for a, b, box in zip(before, after, clip.boxes, strict=True)
    ]
    assert sum(changed) >= 0.99 * len(clip.boxes), f"face unchanged in {changed.count(False)}"
    outside = [
        diff_outside(a, b, [box]) for a, b, box in zip(before, after, clip.boxes, strict=True)
    ]
    assert max(outside) < CODEC_NOISE
    assert result.frames_swapped >= 0.99 * clip.frames


def test_progress_counts_up_to_the_end_a_few_times_a_second(swapped: Run, clip: Clip) -> None:
    result, seen = swapped
    assert seen, "no progress reported"
    done = [p.frames_done for p in seen]
    assert done == sorted(done)
    assert all(p.frames_total == clip.frames for p in seen)
    last = seen[-1]
    assert (last.frames_done, last.frames_swapped) == (clip.frames, result.frames_swapped)
    assert last.eta_s == 0 and last.fps > 0
    assert last.swapped_share == pytest.approx(result.frames_swapped / clip.frames)
    assert last.as_dict()["frames_done"] == clip.frames
    assert len(seen) <= 4 * result.seconds + 3  # four a second, a first and a last
    running = [p for p in seen if 0 < p.frames_done < clip.frames]
    assert running and all(p.eta_s is not None and p.eta_s > 0 for p in running)


def test_the_output_appears_only_when_complete(swapped: Run, folder: Path) -> None:
    result, _ = swapped
    assert result.output_path.is_file()
    assert not [n for n in os.listdir(folder) if n.endswith(".part")]


def test_a_phone_video_stored_sideways_is_swapped_as_it_is_shown(
    tmp_path: Path, group_png: Path, engine: Engine
) -> None:
    """A phone stores portrait video turned, with a display rotation: the face is found as
    the video is shown, and the output is shown the same way."""
    clip = make_clip(tmp_path / "phone.mp4", seconds=1.0, fps=10, rotation=90, audio=None)
    out = tmp_path / "out.mp4"
    result = run_job(
        JobSpec(clip.path, out, group_png, face_index=0),
        FaceConfig(),
        lambda _: None,
        lambda: False,
        engine,
    )
    assert rotation_of(out) == rotation_of(clip.path) == 90
    stored_in, stored_out = decode_frames(clip.path), decode_frames(out)
    assert [f.shape for f in stored_out] == [f.shape for f in stored_in]
    before, after = decode_frames(clip.path, upright=True), decode_frames(out, upright=True)
    assert before[0].shape[:2] == (clip.size[1], clip.size[0])
    pairs = list(zip(before, after, clip.boxes, strict=True))
    assert all(diff_inside(a, b, box) > CHANGED for a, b, box in pairs)
    assert max(diff_outside(a, b, [box]) for a, b, box in pairs) < CODEC_NOISE
    assert result.frames_swapped == clip.frames


def test_sound_in_a_codec_mp4_cannot_hold_is_re_encoded_to_aac(
    tmp_path: Path, group_png: Path, engine: Engine
) -> None:
    clip = make_clip(tmp_path / "pcm.mov", seconds=1.0, fps=10, audio="pcm_s16le", tone_hz=660.0)
    out = tmp_path / "out.mp4"
    spec = JobSpec(clip.path, out, group_png, face_index=0)
    result = run_job(spec, FaceConfig(), lambda _: None, lambda: False, engine)
    assert result.audio == "re-encoded to AAC"
    with av.open(str(out)) as after:
        assert after.streams.audio[0].codec_context.name == "aac"
        assert after.streams.video[0].frames == clip.frames
    sound, rate = decode_audio(out)
    assert len(sound) / rate == pytest.approx(clip.seconds, abs=1 / clip.fps)
    assert peak_hz(sound, rate) == pytest.approx(660.0, abs=3)


def test_a_silent_video_stays_silent(tmp_path: Path, group_png: Path, engine: Engine) -> None:
    clip = make_clip(tmp_path / "silent.mp4", seconds=1.0, fps=10, audio=None)
    out = tmp_path / "out.mp4"
    result = run_job(
        JobSpec(clip.path, out, group_png, face_index=0),
        FaceConfig(),
        lambda _: None,
        lambda: False,
        engine,
    )
    assert result.audio == "none"
    with av.open(str(out)) as after:
        assert not after.streams.audio
        assert after.streams.video[0].frames == clip.frames


# ---- pictures ---------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix,fmt", [(".png", "PNG"), (".webp", "WEBP")])
def test_a_picture_comes_back_in_its_format_with_the_face_swapped(
    tmp_path: Path, group_png: Path, engine: Engine, suffix: str, fmt: str
) -> None:
    picture = samples.astronaut()
    source = tmp_path / f"in{suffix}"
    Image.fromarray(picture[..., ::-1]).save(source, format=fmt, lossless=True)
    out = tmp_path / f"out{suffix}"
    result = run_job(
        JobSpec(source, out, group_png, face_index=0),
        FaceConfig(),
        lambda _: None,
        lambda: False,
        engine,
    )
    assert (result.frames, result.frames_swapped, result.audio) == (1, 1, "none")
    with Image.open(out) as written:
        assert written.format == fmt
        assert written.size == (picture.shape[1], picture.shape[0])
        after = np.asarray(written.convert("RGB"))[..., ::-1]
    face = picture_faces(engine, picture)[0].box
    assert diff_inside(picture, after, face) > CHANGED
    # PNG is lossless; WebP is written lossy (quality 95)
    assert diff_outside(picture, after, [face]) < (1.0 if fmt == "PNG" else CODEC_NOISE)
    assert leftovers(tmp_path, {source.name, out.name}) == []


def test_a_photo_taken_sideways_is_swapped_upright(
    tmp_path: Path, group_png: Path, engine: Engine
) -> None:
    """A camera's JPEG stored sideways with an EXIF orientation: swapped as it is seen."""
    upright = samples.astronaut()
    stored = Image.fromarray(np.ascontiguousarray(np.rot90(upright, k=1)[..., ::-1]))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    source = tmp_path / "sideways.jpg"
    stored.save(source, format="JPEG", quality=95, exif=exif)
    out = tmp_path / "out.jpg"
    result = run_job(
        JobSpec(source, out, group_png, face_index=0),
        FaceConfig(),
        lambda _: None,
        lambda: False,
        engine,
    )
    assert result.frames_swapped == 1
    with Image.open(out) as written:
        assert written.format == "JPEG"
        after = np.asarray(written.convert("RGB"))[..., ::-1]
    assert after.shape == upright.shape
    face = picture_faces(engine, upright)[0].box
    assert diff_inside(upright, after, face) > CHANGED
    assert diff_outside(upright, after, [face]) < CODEC_NOISE


def test_many_faces_swaps_everyone_at_the_table(
    tmp_path: Path, astronaut_png: Path, engine: Engine
) -> None:
    picture = samples.group()
    source = tmp_path / "group.png"
    cv2.imwrite(str(source), picture)
    faces = [f.box for f in picture_faces(engine, picture)]
    assert len(faces) >= 5

    def swap(many: bool) -> np.ndarray:
        out = tmp_path / f"out-{many}.png"
        spec = JobSpec(source, out, astronaut_png, options=FaceOptions(many_faces=many))
        run_job(spec, FaceConfig(), lambda _: None, lambda: False, engine)
        image = cv2.imread(str(out))
        assert image is not None
        return image

    everyone = swap(True)
    assert all(diff_inside(picture, everyone, box) > CHANGED for box in faces)
    assert diff_outside(picture, everyone, faces) < 1.0
    one = swap(False)
    assert sum(diff_inside(picture, one, box) > CHANGED for box in faces) == 1


# ---- cancel, bad input ------------------------------------------------------------------------


def test_cancel_halfway_stops_and_leaves_nothing(
    tmp_path: Path, clip: Clip, group_png: Path, engine: Engine
) -> None:
    polls = 0
    frames_seen: list[int] = []

    def cancelled() -> bool:
        nonlocal polls
        polls += 1
        return polls > clip.frames // 2

    out = tmp_path / "out.mp4"
    with pytest.raises(JobCancelled):
        run_job(
            JobSpec(clip.path, out, group_png, face_index=0),
            FaceConfig(),
            lambda p: frames_seen.append(p.frames_done),
            cancelled,
            engine,
        )
    assert max(frames_seen) <= clip.frames // 2 + 1  # stopped at the next frame
    assert leftovers(tmp_path, set()) == []


def _text(folder: Path) -> Path:
    path = folder / "notes.mp4"
    path.write_text("meeting notes, not a video\n" * 20)
    return path


def _empty(folder: Path) -> Path:
    path = folder / "empty.mp4"
    path.write_bytes(b"")
    return path


def _no_face_picture(folder: Path) -> Path:
    path = folder / "wall.png"
    cv2.imwrite(str(path), background(640, 480))
    return path


def _no_face_video(folder: Path) -> Path:
    return make_clip(folder / "wall.mp4", seconds=1.0, fps=10, face=False).path


def _truncated(folder: Path) -> Path:
    whole = make_clip(folder / "whole.mp4", seconds=2.0, faststart=True).path
    data = whole.read_bytes()
    whole.unlink()
    path = folder / "cut.mp4"
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.mark.parametrize(
    "make,reason",
    [
        (_text, "not a video or picture: notes.mp4"),
        (_empty, "not a video or picture: empty.mp4 is empty"),
        (_no_face_picture, "no face found in the picture"),
        (_no_face_video, "no face found anywhere in the file"),
        (_truncated, "the video stream is unreadable at frame"),
    ],
    ids=["text-renamed-mp4", "empty-mp4", "picture-without-face", "video-without-face", "cut"],
)
def test_a_bad_input_fails_with_a_reason_and_leaves_nothing(
    tmp_path: Path,
    group_png: Path,
    engine: Engine,
    make: Callable[[Path], Path],
    reason: str,
) -> None:
    source = make(tmp_path)
    out = tmp_path / ("out" + (".png" if source.suffix == ".png" else ".mp4"))
    with pytest.raises(JobFailed) as failed:
        run_job(
            JobSpec(source, out, group_png, face_index=0),
            FaceConfig(),
            lambda _: None,
            lambda: False,
            engine,
        )
    assert reason in failed.value.reason
    assert leftovers(tmp_path, {source.name}) == []


def test_a_face_picture_with_several_faces_needs_face_index(
    tmp_path: Path, clip: Clip, group_png: Path, engine: Engine
) -> None:
    with pytest.raises(JobFailed, match="face_index"):
        run_job(
            JobSpec(clip.path, tmp_path / "out.mp4", group_png),
            FaceConfig(),
            lambda _: None,
            lambda: False,
            engine,
        )
    assert leftovers(tmp_path, set()) == []


@pytest.mark.parametrize(
    "name,reason",
    [("notes.txt", "not a video or picture"), ("clip.mp4", "no such file")],
)
def test_an_unknown_or_missing_input_is_refused(
    tmp_path: Path, group_png: Path, engine: Engine, name: str, reason: str
) -> None:
    source = tmp_path / name
    if name.endswith(".txt"):
        source.write_text("hello")
    with pytest.raises(JobFailed, match=reason):
        run_job(
            JobSpec(source, tmp_path / "out.mp4", group_png, face_index=0),
            FaceConfig(),
            lambda _: None,
            lambda: False,
            engine,
        )


# ---- faces cut by the edge, a wide shot (MediaPipe's detector and mesh on every frame) -------


def _mediapipe_or_skip() -> None:
    from ar_backend.face.live.follow import mediapipe_follower

    made, why = mediapipe_follower(FaceConfig())
    if made is None:
        require_or_skip(f"MediaPipe's face models: {why}")


def _inside(box: np.ndarray, size: tuple[int, int]) -> float:
    w, h = size
    area = (box[2] - box[0]) * (box[3] - box[1])
    ix = max(0.0, min(w, box[2]) - max(0.0, box[0]))
    iy = max(0.0, min(h, box[3]) - max(0.0, box[1]))
    return float(ix * iy / area)


@pytest.mark.slow  # a 2 s clip rendered
def test_a_face_coming_in_and_leaving_by_the_edges_is_never_left_as_it_was(
    folder: Path, group_png: Path, engine: Engine
) -> None:
    """Every frame with a fifth of the face or more in the picture comes out swapped or
    blurred; the job counts the frames it had to blur and says so in its result."""
    _mediapipe_or_skip()
    through = make_clip(folder / "through.mp4", seconds=2.0, through=True, audio=None)
    spec = JobSpec(through.path, folder / "through-out.mp4", group_png, face_index=0)
    result = run_job(spec, FaceConfig(), lambda _p: None, lambda: False, engine)
    before, after = decode_frames(through.path), decode_frames(result.output_path)
    for i, (a, b, box) in enumerate(zip(before, after, through.boxes, strict=True)):
        if _inside(box, through.size) >= 0.2:
            x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
            x1, y1 = min(a.shape[1], int(box[2])), min(a.shape[0], int(box[3]))
            seen = np.abs(a[y0:y1, x0:x1].astype(int) - b[y0:y1, x0:x1].astype(int)).mean()
            assert seen > CHANGED, f"frame {i}: the face went out as it was"
    parts = (result.frames_swapped, result.frames_guarded, result.frames_faceless)
    assert sum(parts) == result.frames == through.frames
    assert result.frames_swapped > 0 and result.frames_faceless > 0


@pytest.mark.slow  # a 2.5 s clip rendered
def test_a_face_rising_out_of_the_frame_is_blurred_where_it_cannot_be_swapped(
    folder: Path, group_png: Path, engine: Engine
) -> None:
    """The live clip's 'rise': the face goes up past the top edge until only the chin is in
    view, where no mesh can be fitted; those frames come out blurred, never as they were,
    and the job says how many it had to blur."""
    _mediapipe_or_skip()
    frames = liveclip.make_clip(phases=liveclip.HARD_CLIPS["rise"], in_view=0.2)
    path = liveclip.write_clip(folder / "rise.mp4", frames)
    spec = JobSpec(path, folder / "rise-out.mp4", group_png, face_index=0)
    result = run_job(spec, FaceConfig(), lambda _p: None, lambda: False, engine)
    before, after = decode_frames(path), decode_frames(result.output_path)
    assert result.frames == len(frames) == len(after) == len(before)
    for i, (frame, inp, out) in enumerate(zip(frames, before, after, strict=True)):
        if frame.in_view:
            found = liveclip.verdict(inp, out, frame.box, True)
            assert found.kind != "leaked", f"frame {i}: the face went out as it was"
    assert result.frames_guarded > 0, result.as_dict()
    assert result.notice is not None and str(result.frames_guarded) in result.notice
    assert result.as_dict()["notice"] == result.notice


@pytest.mark.slow  # 90 frames rendered
def test_a_wide_shot_face_is_swapped_in_every_frame(
    folder: Path, group_png: Path, engine: Engine
) -> None:
    """The whole person in view (head and shoulders at half size, the face 45 px across),
    the face always visible: at least 99% of the frames swapped and none left as it was."""
    _mediapipe_or_skip()
    wide = make_clip(folder / "wide.mp4", seconds=3.0, fps=30, scale=0.5, audio=None)
    spec = JobSpec(wide.path, folder / "wide-out.mp4", group_png, face_index=0)
    result = run_job(spec, FaceConfig(), lambda _p: None, lambda: False, engine)
    before, after = decode_frames(wide.path), decode_frames(result.output_path)
    left = [
        i
        for i, (a, b, box) in enumerate(zip(before, after, wide.boxes, strict=True))
        if diff_inside(a, b, box) <= CHANGED
    ]
    assert left == [], f"the face went out as it was in frames {left}"
    assert result.frames_swapped >= 0.99 * wide.frames, result.as_dict()
    assert result.notice is None


def test_an_older_job_list_gains_the_new_counters(tmp_path: Path) -> None:
    """A jobs.sqlite from before frames_guarded and frames_faceless opens, and has them."""
    import sqlite3

    from ar_backend.jobs.store import DB_FILE, JobStore

    old = sqlite3.connect(tmp_path / DB_FILE)
    old.execute(
        "CREATE TABLE jobs (id VARCHAR(32) PRIMARY KEY, state VARCHAR(16) NOT NULL, "
        "frames_swapped INTEGER NOT NULL DEFAULT 0)"
    )
    old.execute("INSERT INTO jobs (id, state) VALUES ('abc', 'done')")
    old.commit()
    old.close()
    store = JobStore(tmp_path)
    try:
        with store.engine.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT frames_guarded, frames_faceless FROM jobs WHERE id = 'abc'"
            ).one()
        assert tuple(row) == (0, 0)
    finally:
        store.close()
