"""Who gets swapped (face/people/reference.py): the reference person and the face map, through
``FaceSwap`` as the live path runs it (a tracker, frame after frame)."""

from __future__ import annotations

import numpy as np
import pytest

from ar_backend.config import FaceConfig
from ar_backend.face import samples
from ar_backend.face.engines.classic import ClassicEngine
from ar_backend.face.errors import FaceError, NoFrame
from ar_backend.face.live.session import FaceSwap
from ar_backend.face.live.tracker import FaceTracker
from shared.wire.backend import FaceReference
from tests.face.people import LEFT, RIGHT, changed, other_photo, person, two_people


@pytest.fixture(scope="module")
def engine() -> ClassicEngine:
    return ClassicEngine(FaceConfig())


def new_swap(engine: ClassicEngine, **options: object) -> FaceSwap:
    """A FaceSwap on the module's engine (dlib's models read once)."""
    fs = FaceSwap(FaceConfig(options={"detect_size": 640, **options}))
    fs.engines.use(engine)
    return fs


@pytest.fixture
def swap(engine: ClassicEngine) -> FaceSwap:
    fs = new_swap(engine)
    fs.load_image(samples.encode(samples.astronaut()), None, "astronaut.jpg")
    fs.start()
    return fs


def run(fs: FaceSwap, image: np.ndarray, frames: int = 3) -> np.ndarray:
    tracker = FaceTracker()
    out = image
    for _ in range(frames):
        out = fs.process(image.copy(), tracker, {})
    return out


def test_without_a_reference_both_faces_are_swapped(engine):
    fs = new_swap(engine, many_faces=True)
    fs.load_image(samples.encode(samples.astronaut()), None, "astronaut.jpg")
    fs.start()
    left, right = changed(two_people(), run(fs, two_people()))
    assert left > 1 and right > 1


@pytest.mark.parametrize("who", [LEFT, RIGHT])
def test_reference_mode_swaps_only_the_matching_face(swap, who):
    swap.people.set_reference(samples.encode(other_photo(who)), None, "ref.jpg")
    image = two_people()
    left, right = changed(image, run(swap, image))
    if who == LEFT:
        assert left > 1 and right == 0
    else:
        assert right > 1 and left == 0
    faces = {f.source: f for f in swap.people.status().faces}
    assert set(faces) == {"loaded", None}
    assert faces["loaded"].matched is True
    distance = faces["loaded"].distance
    assert distance is not None and distance < swap.cfg.reference_threshold["classic"]
    assert faces[None].matched is False
    reference = swap.status().reference
    assert reference is not None and reference.set and reference.name == "ref.jpg"
    assert reference.engine == "classic"
    # cleared: every face is swapped again (the largest, many_faces being off)
    swap.people.clear_reference()
    assert swap.status().reference == FaceReference(set=False)


def test_a_stranger_as_reference_swaps_nobody(swap):
    swap.people.set_reference(samples.encode(samples.astronaut()), None, "astronaut.jpg")
    image = two_people()
    assert changed(image, run(swap, image)) == (0.0, 0.0)
    assert [f.matched for f in swap.people.status().faces] == [False, False]


def test_face_map_gives_each_person_their_source(swap):
    astro, hanks = samples.astronaut(), samples.tom_hanks()
    swap.people.set_map(
        [
            (
                (samples.encode(other_photo(LEFT)), None, "a.jpg"),
                (samples.encode(astro), None, "astro"),
            ),
            (
                (samples.encode(other_photo(RIGHT)), None, "b.jpg"),
                (samples.encode(hanks), None, "hanks"),
            ),
        ]
    )
    image = two_people()
    out = run(swap, image)
    left, right = changed(image, out)
    assert left > 1 and right > 1
    by_x = sorted(swap.people.status().faces, key=lambda f: f.box.x)
    assert [f.source for f in by_x] == ["map:0", "map:1"]
    # each got its own source: the same frame with only the astronaut mapped, left unchanged
    swap.people.clear_map()
    swap.people.set_map(
        [((samples.encode(other_photo(LEFT)), None, "a.jpg"), (samples.encode(astro), None, "a"))]
    )
    only_left = run(swap, image)
    half = image.shape[1] // 2
    assert np.array_equal(only_left[:, :half], out[:, :half])
    assert np.array_equal(only_left[:, half:], image[:, half:])


def test_face_map_alone_needs_no_loaded_face(engine):
    fs = new_swap(engine)
    fs.people.set_map(
        [
            (
                (samples.encode(other_photo(RIGHT)), None, "b.jpg"),
                (samples.encode(samples.astronaut()), None, "astro"),
            )
        ]
    )
    fs.start()  # no 409: the map has a source
    image = two_people()
    left, right = changed(image, run(fs, image))
    assert left == 0 and right > 1


def test_reference_errors_name_the_field(swap):
    with pytest.raises(FaceError) as err:
        swap.people.set_reference(samples.encode(samples.group()), None, "group.jpg")
    assert err.value.field == "face_index"
    with pytest.raises(FaceError) as err:
        swap.people.set_map(
            [
                (
                    (samples.encode(person(LEFT)), None, "a"),
                    (samples.encode(np.zeros((200, 200, 3), np.uint8)), None, "b"),
                )
            ]
        )
    assert err.value.field == "source_0"
    with pytest.raises(NoFrame):  # no camera: no frame to pick a face in
        swap.matcher.grab(timeout=0.1)


def test_reference_map_and_face_set_survive_a_restart(engine, tmp_path):
    """Kept in the face state (face/store.py) and restored by a new FaceSwap on the same folder."""
    from ar_backend.face.live import restore
    from ar_backend.face.store import StateStore

    fs = new_swap(engine)
    fs.listeners.append(StateStore(tmp_path).save)
    fs.load_images(
        [
            (samples.encode(samples.astronaut()), None, "front.jpg"),
            (samples.encode(person(1)), None, "turned.jpg"),
        ]
    )
    fs.people.set_reference(samples.encode(other_photo(LEFT)), None, "ref.jpg")
    astro = samples.encode(samples.astronaut())
    fs.people.set_map(
        [((samples.encode(other_photo(RIGHT)), None, "b.jpg"), (astro, None, "a.jpg"))]
    )
    fs.start()

    again = new_swap(engine)
    saved = StateStore(tmp_path).saved()
    assert not saved.empty
    restore.apply(again, saved, str(tmp_path))
    again.listeners.append(StateStore(tmp_path).save)
    status = again.status()
    assert status.reference is not None and status.reference.name == "ref.jpg"
    assert [e.reference.name for e in status.map] == ["b.jpg"]
    assert [p.name for p in again.source_status().set or []] == ["front.jpg", "turned.jpg"]
    assert again.enabled
    # cleared: gone after the next restart too
    again.people.clear_reference()
    again.people.clear_map()
    third = new_swap(engine)
    restore.apply(third, StateStore(tmp_path).saved(), str(tmp_path))
    assert third.status().reference == FaceReference(set=False) and third.status().map == []
