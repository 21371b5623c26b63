"""The live swap a viewer sees, through a real backend process: its camera on a generated clip
or a picture, the output read from the MJPEG stream (each part names its frame's sequence
number, so it is compared with the very input frame it came from), judged by
``liveclip.judge`` as ``benchmarks/face_live.py`` does: swapped, guarded or leaked where the
face is, and whether a swap was drawn anywhere else.

The JPEG preview is lossy, so the input frames are put through the same encoder first (an
unchanged block encodes to the same pixels)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import requests

from ar_backend.face import samples
from ar_backend.face.samples import liveclip
from tests.backend.conftest import mjpeg_frames
from tests.procs import wait_for

pytestmark = pytest.mark.slow

SIZE = (640, 480)
QUALITY = 95  # the preview's JPEG quality here: fine enough for judge()'s thresholds
# the face still, leaving to the right, gone (the name tag and the patch alone), entering
# from the left, still again: the part of liveclip where a swap lands on a non-face
PHASES = (("still", 0.5), ("leave", 0.8), ("gone", 0.7), ("enter", 0.8), ("back", 0.5))


def jpeg_round(image: np.ndarray) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", image, [int(cv2.IMWRITE_JPEG_QUALITY), QUALITY])
    assert ok
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def decoded(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(jpeg_round(frame))
    cap.release()
    return frames


def send_face(url: str, image: np.ndarray, face_index: int | None = None) -> None:
    data = {} if face_index is None else {"face_index": str(face_index)}
    resp = requests.post(
        url + "/face/load",
        files={"image": ("face.jpg", samples.encode(image), "image/jpeg")},
        data=data,
        timeout=60,
    )
    assert resp.status_code == 200, resp.text


def live_config(backend_config, **face):  # type: ignore[no-untyped-def]
    # the preview judged pixel by pixel at QUALITY: the governor would lower it on a busy
    # machine (its preview knob), which changes every pixel (tests/backend/test_governor_live.py)
    face.setdefault("governor", "off")
    return backend_config(
        camera={"fps": liveclip.FPS, "width": SIZE[0], "height": SIZE[1]},
        pipeline={"processors": ["face_swap"]},
        outputs={"jpeg_quality": QUALITY},
        face=face,
    )


def test_the_swap_follows_the_face_out_and_in_and_never_lands_on_the_badge(
    backend, backend_config, media: Path
) -> None:
    """Part 1 and 2: with the guard off (what the check alone does), the face is swapped on
    the frames it is in view, and once it has gone no frame has the swap drawn on the name
    tag, the patch or the background."""
    clip = liveclip.make_clip(SIZE, phases=PHASES)
    inputs = decoded(liveclip.write_clip(media / "live.mp4", clip))
    assert len(inputs) == len(clip)
    be = backend("--no-autostart", config=live_config(backend_config, guard="off"))
    send_face(be.url, samples.group(), 0)
    assert requests.post(be.url + "/face/start", timeout=10).status_code == 200
    resp = requests.post(be.url + "/camera/start", json={"source": "live.mp4"}, timeout=15)
    assert resp.status_code == 200, resp.text
    seen: dict[int, tuple[str, bool]] = {}
    # two passes of the clip (it loops): the first frames of a pass are judged too
    stream = be.url + "/video_feed"
    for i, image in mjpeg_frames(stream, 2 * len(clip), 60, header="x-source-frame"):
        seen.setdefault(i, liveclip.judge(inputs[i], image, clip[i].box, clip[i].in_view))
        if len(seen) == len(clip):
            break
    in_view = {i: kind for i, (kind, _) in seen.items() if clip[i].in_view}
    assert len(in_view) > 40 and len(seen) > len(clip) * 0.6, (len(in_view), len(seen))
    missed = {i: kind for i, kind in sorted(in_view.items()) if kind != "swapped"}
    assert len(missed) <= len(in_view) * 0.05, f"in view, not swapped: {missed}"
    drawn = sorted(i for i, (_, on_no_face) in seen.items() if on_no_face)
    assert drawn == [], f"a swap drawn where no face is, on frames {drawn}"
    status = requests.get(be.url + "/face/status", timeout=5).json()
    assert status["frames_swapped"] > 0 and "false_swaps_prevented" in status


def test_the_guard_covers_the_face_when_the_camera_changes_mid_stream(
    backend, backend_config, media: Path
) -> None:
    """Part 3: swapping on the clip, the camera switches to a picture with the face
    elsewhere (the tracker knows nothing of it yet): with the guard on, no frame of the
    picture leaves with its real face."""
    clip = liveclip.make_clip(SIZE, phases=(("still", 1.0),))
    liveclip.write_clip(media / "still.mp4", clip)
    picture = cv2.resize(samples.astronaut(), SIZE)
    cv2.imwrite(str(media / "astronaut.png"), picture)
    be = backend("--no-autostart", config=live_config(backend_config, guard="blur"))
    send_face(be.url, samples.group(), 0)
    assert requests.post(be.url + "/face/start", timeout=10).status_code == 200
    assert requests.post(be.url + "/camera/start", json={"source": "still.mp4"}, timeout=15).ok
    wait_for(lambda: requests.get(be.url + "/face/status", timeout=5).json()["frames_swapped"])
    # the picture's face, where the detector finds it (its own box, not the clip's)
    from ar_backend.face.detect.dlib_hog import DlibHog

    box = DlibHog().detect(picture)[0].box
    reference = jpeg_round(picture)
    outside = np.ones(picture.shape[:2], bool)
    x0, y0, x1, y1 = (round(float(v)) for v in box)
    outside[max(0, y0 - 80) : y1 + 80, max(0, x0 - 80) : x1 + 80] = False
    stream = mjpeg_frames(be.url + "/video_feed", count=400, timeout=60)
    first = next(stream)[0]
    resp = requests.post(be.url + "/camera/start", json={"source": "astronaut.png"}, timeout=15)
    assert resp.status_code == 200, resp.text
    kinds = []
    for seq, image in stream:
        if seq <= first:
            continue
        # a frame of the picture (not the clip): the same as it away from the face
        away = np.abs(image.astype(np.int16) - reference.astype(np.int16)).max(axis=2)
        if (away[outside] > 40).mean() > 0.02:
            continue
        kind, _ = liveclip.judge(reference, image, box, True)
        kinds.append(kind)
        if len(kinds) >= 30 and kind == "swapped":
            break
    assert kinds and "leaked" not in kinds, kinds
    assert kinds[-1] == "swapped", "the picture's face is swapped once found"


def test_the_guard_covers_the_face_when_the_source_face_is_unloaded_mid_stream(
    backend, backend_config, media: Path
) -> None:
    """Part 3: swapping on a picture, the source face is taken away (DELETE /face/load) with
    the swap still on: from then on no frame leaves with the real face; the guard counts
    them; a face loaded again swaps again."""
    picture = cv2.resize(samples.astronaut(), SIZE)
    cv2.imwrite(str(media / "astronaut.png"), picture)
    from ar_backend.face.detect.dlib_hog import DlibHog

    box = DlibHog().detect(picture)[0].box
    reference = jpeg_round(picture)
    be = backend("--no-autostart", config=live_config(backend_config, guard="blur"))
    send_face(be.url, samples.group(), 0)
    assert requests.post(be.url + "/face/start", timeout=10).status_code == 200
    assert requests.post(be.url + "/camera/start", json={"source": "astronaut.png"}, timeout=15).ok
    wait_for(lambda: requests.get(be.url + "/face/status", timeout=5).json()["frames_swapped"])
    stream = mjpeg_frames(be.url + "/video_feed", count=200, timeout=60)
    first = next(stream)[0]
    resp = requests.delete(be.url + "/face/load", timeout=10)
    assert resp.status_code == 200 and resp.json() == {"loaded": False}, resp.text
    status = requests.get(be.url + "/face/status", timeout=5).json()
    assert status["enabled"] and not status["active"] and not status["source"]["loaded"]
    kinds = []
    for seq, image in stream:
        if seq > first:
            kinds.append(liveclip.judge(reference, image, box, True)[0])
        if len(kinds) >= 30:
            break
    assert len(kinds) == 30 and "leaked" not in kinds, kinds
    assert kinds[-1] == "guarded", kinds
    assert requests.get(be.url + "/face/status", timeout=5).json()["frames_guarded"] >= 20
    send_face(be.url, samples.group(), 0)

    def swapped_again() -> bool:
        _, image = next(mjpeg_frames(be.url + "/video_feed", count=1, timeout=10))
        return liveclip.judge(reference, image, box, True)[0] == "swapped"

    wait_for(swapped_again, 20)


def test_after_kill_9_the_first_frames_out_are_swapped_or_guarded(
    backend, backend_config, media: Path
) -> None:
    """Part 4: a backend killed with the swap on comes back with the face loaded and the
    swap on: from the first frame it sends, the real face never goes out."""
    picture = cv2.resize(samples.astronaut(), SIZE)
    cv2.imwrite(str(media / "astronaut.png"), picture)
    from ar_backend.face.detect.dlib_hog import DlibHog

    box = DlibHog().detect(picture)[0].box
    reference = jpeg_round(picture)
    config = backend_config(
        camera={"source": str(media / "astronaut.png"), "fps": 15},
        pipeline={"processors": ["face_swap"]},
        outputs={"jpeg_quality": QUALITY},
        face={"guard": "blur", "governor": "off"},
    )
    be = backend(config=config)
    send_face(be.url, samples.group(), 0)
    assert requests.post(be.url + "/face/start", timeout=10).status_code == 200
    wait_for(lambda: requests.get(be.url + "/face/status", timeout=5).json()["frames_swapped"])
    be.kill()  # SIGKILL: nothing is saved on the way out
    again = backend(config=config)
    kinds = [
        liveclip.judge(reference, image, box, True)[0]
        for _, image in mjpeg_frames(again.url + "/video_feed", count=20, timeout=60)
    ]
    assert "leaked" not in kinds, kinds
    status = requests.get(again.url + "/face/status", timeout=5).json()
    assert status["enabled"] and status["source"]["name"], status
