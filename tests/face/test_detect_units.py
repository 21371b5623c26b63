"""The detectors' arithmetic without the models: MediaPipe's anchors, the weighted NMS, the
landmark regions, what a missing or corrupt model file says, and LiteRT's refusal of a
file that is not a model."""

from __future__ import annotations

import math
import threading
from pathlib import Path

import dlib
import numpy as np
import pytest
import yaml

from ar_backend.config import FaceConfig
from ar_backend.face import samples
from ar_backend.face.detect import ModelFiles, model_files, ssd
from ar_backend.face.detect.blazeface import FULL, SHORT
from ar_backend.face.detect.dlib_hog import DlibHog
from ar_backend.face.detect.mesh68 import MESH_TO_68
from ar_backend.face.detect.palm import ANCHORS as PALM_ANCHORS
from ar_backend.face.detect.roi import Roi, roi_around, rotation
from ar_backend.face.detect.runners import letterbox
from ar_backend.face.imaging.images import gray
from ar_backend.face.runtime.litert import LiteModel, ModelLoadError
from ar_backend.weights import load_manifest


def test_anchor_counts_are_the_models_outputs() -> None:
    """896 (short range), 2304 (full range) and 2016 (palm): one score per anchor."""
    assert len(ssd.anchor_centres(SHORT.anchors)) == 896
    assert len(ssd.anchor_centres(FULL.anchors)) == 2304
    assert len(ssd.anchor_centres(PALM_ANCHORS)) == 2016
    short = ssd.anchor_centres(SHORT.anchors)
    assert np.allclose(short[0], [0.5 / 16, 0.5 / 16]) and np.allclose(short[1], short[0])
    assert np.allclose(short[512], [0.5 / 8, 0.5 / 8]), "the 8x8 grid after the 16x16 one"


def test_weighted_nms_averages_overlapping_boxes_by_score_and_keeps_the_rest() -> None:
    rect = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], np.float32)
    kps = np.array([[[2, 2]], [[4, 2]], [[55, 55]]], np.float32)
    scores = np.array([0.6, 0.9, 0.7], np.float32)
    out = ssd.weighted_nms(rect, kps, scores, 0.3)
    assert [round(d.score, 2) for d in out] == [0.9, 0.7]
    assert np.allclose(out[0].box, [0.6, 0, 10.6, 10])  # (1*0.9 + 0*0.6) / 1.5
    assert np.allclose(out[0].keypoints, [[3.2, 2]])
    assert np.allclose(out[1].box, rect[2])


def test_decode_puts_a_box_on_its_anchor_and_drops_low_scores() -> None:
    anchors = ssd.anchor_centres(SHORT.anchors)
    boxes = np.zeros((896, 16), np.float32)
    scores = np.full(896, -10.0, np.float32)
    boxes[600, 2:4] = 32  # 32 px wide and high in the 128 px input
    boxes[600, 4:6] = [-8, -4]  # the first keypoint up-left of the centre
    scores[600] = 3.0
    found = ssd.decode(boxes, scores, anchors, SHORT.decode)
    assert len(found) == 1
    cx, cy = anchors[600]
    assert np.allclose(found[0].box, [cx - 0.125, cy - 0.125, cx + 0.125, cy + 0.125])
    assert np.allclose(found[0].keypoints[0], [cx - 8 / 128, cy - 4 / 128])
    assert found[0].score == pytest.approx(1 / (1 + math.exp(-3)))


def test_letterbox_keeps_the_aspect_and_maps_back() -> None:
    image = np.full((480, 640, 3), 200, np.uint8)
    boxed, scale, offset = letterbox(image, 128)
    assert boxed.shape == (128, 128, 3)
    assert np.allclose(scale, 0.2) and np.allclose(offset, [0, 16])
    assert boxed[:16].max() == 0 and boxed[16:112].min() == 200 and boxed[112:].max() == 0


def test_a_region_turned_with_the_eyes_crops_them_level() -> None:
    """Eyes on a line going down to the right by 30 degrees: the region turns by 30, and
    its crop has them level; points put back land where they were."""
    right, left = np.array([100, 100], np.float32), np.array([100 + 40 * 0.866, 120], np.float32)
    angle = rotation(right, left, 0.0)
    assert math.degrees(angle) == pytest.approx(30, abs=0.1)
    roi = roi_around(np.array([80, 80, 160, 160], np.float32), angle, 1.5)
    assert roi.size == pytest.approx(120)
    image = np.zeros((300, 300, 3), np.uint8)
    for point in (right, left):
        image[int(point[1]) - 2 : int(point[1]) + 3, int(point[0]) - 2 : int(point[0]) + 3] = 255
    crop = roi.crop(image, 192)
    ys, _xs = np.nonzero(crop[..., 0] > 128)
    assert np.ptp(ys) < 12, "both eyes on one row of the crop"
    inside = (roi.matrix(192)[:, :2] @ right + roi.matrix(192)[:, 2])[None]
    assert np.allclose(roi.project(inside.astype(np.float32), 192)[0], right, atol=1e-3)


def test_hand_regions_point_the_fingers_up() -> None:
    """MediaPipe's palm region: turned so wrist-to-fingers points up (target 90 degrees)."""
    wrist, middle = np.array([100, 200], np.float32), np.array([100, 150], np.float32)
    assert rotation(wrist, middle, 90.0) == pytest.approx(0.0)
    sideways = rotation(wrist, np.array([150, 200], np.float32), 90.0)
    assert math.degrees(sideways) == pytest.approx(90.0)
    roi = roi_around(np.array([80, 160, 120, 200], np.float32), 0.0, 2.6, shift=(0.0, -0.5))
    assert (roi.cx, roi.cy, roi.size) == pytest.approx((100, 160, 104))
    assert isinstance(roi, Roi)


def test_the_68_point_map_uses_distinct_mesh_points_mirrored_left_to_right() -> None:
    assert len(MESH_TO_68) == 68 and len(set(MESH_TO_68.tolist())) == 68
    assert MESH_TO_68.max() < 468
    assert MESH_TO_68[8] == 152 and MESH_TO_68[30] == 4, "chin and nose tip"
    assert (MESH_TO_68[36], MESH_TO_68[45]) == (33, 263), "the eyes' outer corners"


def _manifest(tmp_path: Path, data: bytes) -> Path:
    import hashlib

    path = tmp_path / "models.yaml"
    entry = {
        "description": "a test model",
        "licence": "Apache-2.0",
        "used_by": ["tests"],
        "files": [
            {
                "path": "mediapipe/x.tflite",
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "hash_source": "the test",
            }
        ],
    }
    path.write_text(yaml.safe_dump({"models": {"mp_test": entry}}), encoding="utf-8")
    return path


def test_a_missing_or_corrupt_model_file_is_said_with_the_command_that_fetches_it(
    tmp_path: Path,
) -> None:
    files = ModelFiles(tmp_path, load_manifest(_manifest(tmp_path, b"model bytes")))
    reason = files.problem(("mediapipe/x.tflite",))
    assert reason is not None and "missing" in reason
    assert "python -m ar_backend.weights fetch mp_test" in reason
    (tmp_path / "mediapipe").mkdir()
    (tmp_path / "mediapipe" / "x.tflite").write_bytes(b"model byteZ")
    assert "corrupt" in (files.problem(("mediapipe/x.tflite",)) or "")
    with pytest.raises(FileNotFoundError, match="corrupt"):
        files.path("mediapipe/x.tflite")
    (tmp_path / "mediapipe" / "x.tflite").write_bytes(b"model bytes")
    assert files.problem(("mediapipe/x.tflite",)) is None
    assert "not in the manifest" in (files.problem(("other.tflite",)) or "")


def test_an_unreadable_manifest_leaves_every_file_unusable_saying_why(tmp_path: Path) -> None:
    """A studio whose manifest is gone still starts: each model says why it cannot run."""
    gone = tmp_path / "no-manifest.yaml"
    files = model_files(FaceConfig(models_dir=str(tmp_path), models_manifest=str(gone)))
    reason = files.problem(("mediapipe/x.tflite",))
    assert reason is not None and "no-manifest.yaml" in reason
    with pytest.raises(FileNotFoundError, match=r"no-manifest\.yaml"):
        files.path("mediapipe/x.tflite")


def test_a_file_that_is_not_a_model_is_refused_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "broken.tflite"
    bad.write_bytes(b"\x00" * 64)
    with pytest.raises(ModelLoadError, match=r"broken\.tflite does not load in LiteRT"):
        LiteModel(bad)


def test_each_thread_gets_a_detector_of_its_own_that_finds_what_dlibs_own_finds() -> None:
    hog = DlibHog()
    picture = gray(samples.group())
    mine = hog.hog
    assert hog.hog is mine, "a thread keeps its detector"
    theirs: list[object] = []
    worker = threading.Thread(target=lambda: theirs.append(hog.hog))
    worker.start()
    worker.join()
    assert theirs[0] is not mine, "another thread has its own"
    rects, scores, _ = dlib.get_frontal_face_detector().run(picture, 0, 0.0)
    expected = [
        ((r.left(), r.top(), r.right(), r.bottom()), s) for r, s in zip(rects, scores, strict=True)
    ]
    for found in (hog.run(picture), DlibHog().run(picture)):
        assert [(tuple(int(v) for v in box), score) for box, score in found] == expected
    assert len(expected) >= 5, "the group photo's faces"
