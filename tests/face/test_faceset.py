"""The face set (face/people/faceset.py): head pose from the landmarks (face/imaging/pose.py),
the photo whose pose is closest picked per face, and ``likeness`` (face/imaging/outline.py)."""

from __future__ import annotations

import numpy as np
import pytest

from ar_backend.config import FaceConfig, FaceOptions
from ar_backend.face import samples
from ar_backend.face.engines.classic import ClassicEngine
from ar_backend.face.faces import detect_faces, picture_faces
from ar_backend.face.imaging.pose import head_pose
from ar_backend.face.live.session import FaceSwap
from ar_backend.face.live.tracker import FaceTracker
from ar_backend.face.people import faceset
from tests.face.people import person

FRONTAL, TURNED, TURNED_TOO = 2, 1, 4  # group faces: yaw about 0, -56 and -60 degrees


@pytest.fixture(scope="module")
def engine() -> ClassicEngine:
    return ClassicEngine(FaceConfig())


def only_face(engine: ClassicEngine, image: np.ndarray):
    faces = picture_faces(engine, image)
    assert len(faces) == 1
    return faces[0]


def test_pose_tells_frontal_turned_and_mirrored(engine):
    frontal = head_pose(only_face(engine, person(FRONTAL)).points)
    turned = head_pose(only_face(engine, person(TURNED)).points)
    mirrored = head_pose(only_face(engine, person(TURNED, mirror=True)).points)
    assert abs(frontal.yaw) < 15
    assert turned.yaw < -30
    assert mirrored.yaw > 30 and abs(mirrored.yaw + turned.yaw) < 10


def test_a_turned_target_gets_the_turned_photo(engine):
    photos = [samples.astronaut(), person(TURNED), person(TURNED, mirror=True)]
    sources = [engine.prepare_source(p, only_face(engine, p)) for p in photos]
    source = faceset.build(sources)
    members = faceset.members(source)
    assert len(members) == 3
    for target, want in [
        (person(FRONTAL), 0),
        (person(TURNED_TOO), 1),
        (person(TURNED_TOO, mirror=True), 2),
    ]:
        face = detect_faces(engine, target, FaceOptions())[0]
        assert faceset.pick(source, face) is members[want]


def test_the_pick_holds_near_the_middle(engine):
    """A face between two photos keeps the one it has until another is clearly closer."""
    photos = [samples.astronaut(), person(TURNED)]
    source = faceset.build([engine.prepare_source(p, only_face(engine, p)) for p in photos])
    face = detect_faces(engine, person(FRONTAL), FaceOptions())[0]
    assert faceset.pick(source, face) is faceset.members(source)[0]
    face.extra["set_pick"] = (source, 1)  # as if it had the turned one a frame ago
    near = faceset.members(source)[1].data["pose"].distance(head_pose(face.points))
    far = faceset.members(source)[0].data["pose"].distance(head_pose(face.points))
    want = 1 if near <= far + faceset.HYSTERESIS_DEG else 0
    assert faceset.pick(source, face) is faceset.members(source)[want]


def test_faceswap_loads_a_set_and_renders_the_turned_target_from_the_turned_photo(engine):
    fs = FaceSwap(FaceConfig(options={"detect_size": 640}))
    fs.engines.use(engine)
    status = fs.load_images(
        [
            (samples.encode(samples.astronaut()), None, "front.jpg"),
            (samples.encode(person(TURNED)), None, "turned.jpg"),
        ]
    )
    assert status.set is not None
    assert [p.name for p in status.set] == ["front.jpg", "turned.jpg"]
    front, turned = (p.yaw for p in status.set)
    assert front is not None and abs(front) < 15 and turned is not None and turned < -30
    fs.start()
    tracker = FaceTracker()
    fs.process(person(TURNED_TOO).copy(), tracker, {})
    (face,) = tracker.tracks
    assert face.extra["set_pick"][1] == 1
    # one photo again: the set is gone
    fs.load_image(samples.encode(samples.astronaut()), None, "front.jpg")
    assert "set" not in fs.source_status().model_fields_set


@pytest.mark.parametrize("likeness", [0.0, 1.0])
def test_likeness_changes_only_the_face_neighbourhood(engine, likeness):
    source = engine.prepare_source(samples.astronaut(), only_face(engine, samples.astronaut()))
    target = samples.group()
    opts = FaceOptions(many_faces=True, detect_size=1280, likeness=likeness)
    faces = detect_faces(engine, target, opts)
    out = engine.render(target.copy(), faces, source, opts)
    keep = np.ones(target.shape[:2], bool)
    for f in faces:  # the fixed ring reaches 1.6 half-sizes from the face's centre
        x0, y0, x1, y1 = f.box
        cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) * 1.3
        keep[max(0, int(cy - r)) : int(cy + r), max(0, int(cx - r)) : int(cx + r)] = False
    assert np.array_equal(out[keep], target[keep])
    inner = np.zeros(target.shape[:2], bool)  # and every face itself changed
    for f in faces:
        x0, y0, x1, y1 = (int(v) for v in f.box)
        inner[y0:y1, x0:x1] = True
    assert np.abs(out.astype(int) - target)[inner].mean() > 5
