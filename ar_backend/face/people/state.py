"""The reference person, the face map and the face set in the saved face state (face/store.py).

Sections and image slots (the bytes as uploaded; a reference picked in the camera frame is
kept as PNG):

- ``reference`` {name, face_index}, slot ``reference``;
- ``map`` {pairs: [{reference: {name, face_index}, source: {name, face_index}}]}, slots
  ``map.<i>.reference`` and ``map.<i>.source``;
- a face set rides on the ``source`` section FaceSwap writes: ``set`` [{name, face_index}]
  beside its name and face_index, the photos after the first in slots ``source.<i>``.

:func:`restore` is called by ``persist.restore`` after the loaded face; each part that fails
is logged and skipped.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from ar_backend.face.people.reference import MAX_MAP

if TYPE_CHECKING:
    from ar_backend.face.live.session import FaceSwap, Upload
    from ar_backend.face.store import StateStore

log = logging.getLogger(__name__)


def png(image: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("PNG encoding failed")
    return bytes(buf.tobytes())


def reference_state(data: bytes | None, name: str, face_index: int | None) -> tuple[Any, Any]:
    """(section, images) for ``store.write("reference", ...)``; no data: cleared."""
    if data is None:
        return None, {"reference": None}
    return {"name": name, "face_index": face_index}, {"reference": data}


def map_state(pairs: list[tuple[Upload, Upload]] | None) -> tuple[Any, dict[str, Any]]:
    """(section, images) for ``store.write("map", ...)``; no pairs: cleared."""
    images: dict[str, Any] = {
        f"map.{i}.{kind}": None for i in range(MAX_MAP) for kind in ("reference", "source")
    }
    if not pairs:
        return None, images
    listed = []
    for i, (ref, src) in enumerate(pairs):
        images[f"map.{i}.reference"], images[f"map.{i}.source"] = ref[0], src[0]
        listed.append(
            {
                "reference": {"name": ref[2], "face_index": ref[1]},
                "source": {"name": src[2], "face_index": src[1]},
            }
        )
    return {"pairs": listed}, images


def set_state(items: list[Upload]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(section, images) for ``store.write("source", ...)`` of a face set."""
    first = items[0]
    section = {
        "name": first[2],
        "face_index": first[1],
        "set": [{"name": name, "face_index": index} for _, index, name in items],
    }
    images: dict[str, Any] = {"source": first[0]}
    for i in range(1, MAX_SET_SLOTS):
        images[f"source.{i}"] = items[i][0] if i < len(items) else None
    return section, images


def unloaded_state() -> tuple[None, dict[str, Any]]:
    """(section, images) for ``store.write("source", ...)`` once the face is unloaded."""
    images: dict[str, Any] = {"source": None}
    for i in range(1, MAX_SET_SLOTS):
        images[f"source.{i}"] = None
    return None, images


MAX_SET_SLOTS = 16  # face.max_set's upper bound


def restore(face: FaceSwap, store: StateStore) -> None:
    """The face set, the reference and the map, as saved (after the loaded face)."""
    source = store.section("source")
    listed = source.get("set") if source else None
    if isinstance(listed, list) and len(listed) > 1:
        try:
            items: list[Upload] = []
            for i, entry in enumerate(listed):
                data = store.image("source" if i == 0 else f"source.{i}")
                if data is None:
                    raise ValueError(f"photo {i} of the face set is missing")
                items.append((data, entry.get("face_index"), str(entry.get("name"))))
            face.load_images(items)
        except Exception as exc:
            log.warning("face state: the face set did not load again: %s", exc)
    reference = store.section("reference")
    if reference is not None:
        data = store.image("reference")
        try:
            if data is None:
                raise ValueError("its image is missing")
            face.set_reference(data, reference.get("face_index"), str(reference.get("name")))
        except Exception as exc:
            log.warning("face state: the reference person was not restored: %s", exc)
    saved_map = store.section("map")
    if saved_map is not None:
        try:
            pairs: list[tuple[Upload, Upload]] = []
            for i, pair in enumerate(saved_map.get("pairs") or []):
                ref_data = store.image(f"map.{i}.reference")
                src_data = store.image(f"map.{i}.source")
                if ref_data is None or src_data is None:
                    raise ValueError(f"pair {i}'s images are missing")
                ref, src = pair["reference"], pair["source"]
                pairs.append(
                    (
                        (ref_data, ref.get("face_index"), str(ref.get("name"))),
                        (src_data, src.get("face_index"), str(src.get("name"))),
                    )
                )
            face.set_map(pairs)
        except Exception as exc:
            log.warning("face state: the face map was not restored: %s", exc)


def saved(store: StateStore) -> bool:
    """Anything of these kept (a reference or a map with no face loaded counts too)."""
    return store.section("reference") is not None or store.section("map") is not None
