"""The classic engine on dlib's 68 landmarks (its path where the face mesh's file is missing:
test_classic_mesh.py has the mesh's) on faces that ship in packages: identity, background,
flicker, mouth."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ar_backend.config import FaceConfig, FaceOptions
from ar_backend.face import samples
from ar_backend.face.engines.classic import ClassicEngine
from ar_backend.face.errors import SourceTooSmall
from ar_backend.face.faces import detect_faces, picture_faces
from ar_backend.face.imaging import geometry
from ar_backend.face.imaging.quality import IdentityScorer, background_change, region_flicker
from ar_backend.face.live.session import FaceSwap
from ar_backend.face.live.tracker import FaceTracker


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> ClassicEngine:
    """The engine with no MediaPipe file in its models folder: on the 68 points."""
    engine = ClassicEngine(FaceConfig(models_dir=str(tmp_path_factory.mktemp("no-models"))))
    assert engine.mesher is None and "fetch mediapipe_face" in str(engine.info().mesh)
    return engine


@pytest.fixture(scope="module")
def scorer(engine: ClassicEngine) -> IdentityScorer:
    return IdentityScorer(engine.descriptor)


@pytest.fixture(scope="module")
def astronaut(engine: ClassicEngine):  # type: ignore[no-untyped-def]
    image = samples.astronaut()
    face = picture_faces(engine, image)[0]
    return image, face, engine.prepare_source(image, face)


@pytest.fixture(scope="module")
def group() -> np.ndarray:
    image = samples.group()
    return cv2.resize(image, (960, round(image.shape[0] * 960 / image.shape[1])))


def test_identity_moves_to_the_source_and_background_stays(engine, scorer, astronaut, group):
    src_image, src_face, source = astronaut
    src_emb = scorer.embed(src_image, src_face.box)
    opts = FaceOptions(many_faces=True, detect_size=960)
    faces = detect_faces(engine, group, opts)
    assert len(faces) >= 4, "the group photo's faces are found"
    out = engine.render(group.copy(), faces, source, opts)
    scores = [scorer.score(group, out, f.box, src_emb) for f in faces]
    moved = sum(s.moved for s in scores)
    assert moved / len(scores) >= 0.9, [s.as_dict() for s in scores]
    assert all(s.d_original > 0.15 for s in scores), "every face visibly changed"
    assert background_change(group, out, [f.box for f in faces]) < 0.5


@pytest.mark.parametrize("blend", ["seamless", "feather"])
def test_pasted_face_takes_the_target_light_without_a_colour_cast(engine, astronaut, group, blend):
    opts = FaceOptions(blend=blend, detect_size=960)
    face = max(detect_faces(engine, group, opts), key=lambda f: f.size)
    out = engine.render(group.copy(), [face], astronaut[2], opts)
    mask = np.zeros(group.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(face.points[geometry.INNER].astype(np.int32)), 255)
    before = cv2.cvtColor(group, cv2.COLOR_BGR2LAB)[mask > 0].astype(float).mean(0)
    after = cv2.cvtColor(out, cv2.COLOR_BGR2LAB)[mask > 0].astype(float).mean(0)
    assert np.abs(after[1:] - before[1:]).max() < 6, (before, after)  # a/b: tint
    assert abs(after[0] - before[0]) < 12, (before, after)  # L: brightness


def test_mouth_mask_keeps_the_speakers_mouth(engine, astronaut, group):
    face = max(detect_faces(engine, group, FaceOptions(detect_size=960)), key=lambda f: f.size)
    mouth = np.zeros(group.shape[:2], np.uint8)
    cv2.fillConvexPoly(mouth, cv2.convexHull(face.points[geometry.MOUTH].astype(np.int32)), 255)
    sel = mouth > 0

    def mouth_change(mouth_mask: bool) -> float:
        opts = FaceOptions(mouth_mask=mouth_mask, detect_size=960)
        out = engine.render(group.copy(), [face], astronaut[2], opts)
        return float(np.abs(out.astype(int) - group.astype(int))[sel].mean())

    kept, swapped = mouth_change(True), mouth_change(False)
    assert kept < 3 and swapped > 3 * kept, (kept, swapped)


def test_small_source_is_upscaled_and_a_tiny_one_refused(engine):
    hanks = samples.tom_hanks()  # 112x112: the face is well under the working size
    canvas = cv2.copyMakeBorder(hanks, 60, 60, 60, 60, cv2.BORDER_REPLICATE)
    big = cv2.resize(canvas, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    face = picture_faces(engine, big)[0]
    source = engine.prepare_source(big, face)
    assert [n.key for n in source.notes] == ["face.note.upscaled"]
    assert "upscaled" in str(source.notes[0])
    assert geometry.box_size(geometry.box_of(source.points)) > 150
    tiny = ClassicEngine.__new__(ClassicEngine)
    tiny.cfg, tiny.landmarker = FaceConfig(min_source_px=400), engine.landmarker
    with pytest.raises(SourceTooSmall, match="px across"):
        tiny.prepare_source(big, face)


def test_a_tilted_head_keeps_its_jaw_and_folds_no_triangle(engine, astronaut):
    image = samples.astronaut()
    h, w = image.shape[:2]
    turned = cv2.warpAffine(image, cv2.getRotationMatrix2D((w / 2, h / 2), 25, 1.0), (w, h))
    face = detect_faces(engine, turned, FaceOptions(detect_size=512))
    face = face[0] if face else picture_faces(engine, turned)[0]
    source = astronaut[2]
    dst = engine.target_shape(face.points, source, FaceOptions())
    target = geometry.with_forehead(face.points)
    assert np.allclose(dst[geometry.JAW], target[geometry.JAW]), "the jaw line stays the target's"
    tris = source.data["tris"]
    assert np.all(
        np.sign(geometry.signed_areas(dst, tris)) == np.sign(geometry.signed_areas(target, tris))
    ), "moving the inner landmarks folds no triangle over"
    assert not np.allclose(dst[geometry.EYES], target[geometry.EYES]), "the shape did move"


def test_still_input_does_not_flicker(engine, astronaut, group):
    swap = FaceSwap(FaceConfig(options=FaceOptions(detect_every=4, detect_size=960)))
    swap.engines.use(engine)
    swap.load_image(samples.encode(astronaut[0]), None, "astronaut.jpg")
    swap.start()
    tracker = FaceTracker()
    frames = [swap.process(group.copy(), tracker, {}) for _ in range(12)]
    face = max(detect_faces(engine, group, FaceOptions(detect_size=960)), key=lambda f: f.size)
    assert swap.frames_swapped == 12 and tracker.detections >= 3
    assert region_flicker(frames, face.box) < 0.5


def test_options_and_source_change_on_the_next_frame(engine, astronaut, group):
    swap = FaceSwap(FaceConfig(options=FaceOptions(detect_size=960)))
    swap.engines.use(engine)
    swap.load_image(samples.encode(astronaut[0]), None, "astronaut.jpg")
    swap.start()
    tracker = FaceTracker()
    swap.process(group.copy(), tracker, {})
    assert swap.faces_in_frame == 1  # the largest face only
    swap.update(None, {"many_faces": True})
    first = swap.process(group.copy(), tracker, {})
    assert swap.faces_in_frame >= 4
    hanks = cv2.copyMakeBorder(samples.tom_hanks(), 80, 80, 80, 80, cv2.BORDER_REPLICATE)
    swap.load_image(samples.encode(cv2.resize(hanks, None, fx=2, fy=2)), None, "hanks.png")
    second = swap.process(group.copy(), tracker, {})
    x0, y0, x1, y1 = (int(v) for v in max(tracker.tracks, key=lambda f: f.size).box)
    region = np.s_[y0:y1, x0:x1]
    assert np.abs(first[region].astype(int) - second[region].astype(int)).mean() > 3
    swap.stop()
    untouched = swap.process(group.copy(), tracker, {})
    assert np.array_equal(untouched, group)


def test_a_tilted_head_is_fitted_upright(engine):
    """On a head tilted 25 degrees the jaw landmarks land where the upright fit put them."""
    image = samples.astronaut()
    h, w = image.shape[:2]
    upright = picture_faces(engine, image)[0].points
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), 25, 1.0)
    tilted = cv2.warpAffine(image, rot, (w, h), borderMode=cv2.BORDER_REPLICATE)
    expected = geometry.apply(rot, upright)
    box = engine.detector.detect(tilted, 0, upsample=1)[0].box
    fitted, _ = engine.fit(tilted, box)
    plain = engine.landmarker.landmarks(tilted, box)
    jaw = geometry.JAW

    def err(points: np.ndarray) -> float:
        return float(np.linalg.norm(points[jaw] - expected[jaw], axis=1).mean())

    assert err(fitted) < 1.0 < err(plain), (err(fitted), err(plain))


def test_feather_touches_nothing_outside_the_face(engine, astronaut, group):
    opts = FaceOptions(blend="feather", detect_size=960)
    face = max(detect_faces(engine, group, opts), key=lambda f: f.size)
    out = engine.render(group.copy(), [face], astronaut[2], opts)
    dst = engine.target_shape(face.points, astronaut[2], opts)
    hull = np.zeros(group.shape[:2], np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(np.round(dst).astype(np.int32)), 255)
    hull = cv2.dilate(hull, np.ones((5, 5), np.uint8))
    changed = np.abs(out.astype(int) - group.astype(int)).max(axis=2) > 0
    assert changed[hull > 0].any() and not changed[hull == 0].any()


def test_shape_strength_is_the_classic_engines_own_option(engine, astronaut):
    image = samples.astronaut()
    h, w = image.shape[:2]
    turned = cv2.warpAffine(image, cv2.getRotationMatrix2D((w / 2, h / 2), 25, 1.0), (w, h))
    face = detect_faces(engine, turned, FaceOptions(detect_size=512))
    face = face[0] if face else picture_faces(engine, turned)[0]
    target = geometry.with_forehead(face.points)

    def moved(options: FaceOptions) -> float:
        return float(np.abs(engine.target_shape(face.points, astronaut[2], options) - target).max())

    def strength(value: float) -> FaceOptions:
        return FaceOptions(engine_options={"classic": {"shape_strength": value}})

    assert moved(strength(0.0)) == 0, "0: the target keeps its own shape"
    assert 0 < moved(strength(0.3)) < moved(strength(1.0))
    assert moved(FaceOptions()) == moved(strength(1.0)), "unset: the option's default (1)"
