"""A face set: several photos of the source person (frontal and turned), one picked per face
and frame by head pose (face/imaging/pose.py), so a turned head gets a turned source.

The set travels as one :class:`SourceFace`, the first photo's, with the whole set in its
``data["set"]`` (each member a prepared SourceFace with its ``data["pose"]``): the live path,
the tracker and the other engines see one source as before; the classic engine asks
:func:`pick` for the member to render each face from (inswapper, which reads identity and not
pose, swaps with the mean of the members' embeddings). A face keeps the photo it got until
another is closer by HYSTERESIS_DEG (a head near the middle of two photos does not flip
between them frame to frame); the choice is kept with the track (``extra["set_pick"]``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ar_backend.face.faces import SourceFace, TargetFace
from ar_backend.face.imaging.pose import Pose, head_pose

HYSTERESIS_DEG = 6.0


def pose_of(source: SourceFace) -> Pose | None:
    """A prepared source's head pose; None when its landmarks are not the 68 (inswapper)."""
    if source.points.shape[0] < 68:
        return None
    return head_pose(source.points[:68])


def build(sources: list[SourceFace]) -> SourceFace:
    """One source carrying the set (the first photo is the one shown and used by engines
    that take one photo)."""
    members = [replace(s, data={**s.data, "pose": pose_of(s)}) for s in sources]
    if len(members) == 1:
        return members[0]
    first = members[0]
    return replace(first, data={**first.data, "set": tuple(members)})


def members(source: SourceFace) -> tuple[SourceFace, ...]:
    found = source.data.get("set")
    return tuple(found) if found else (source,)


def pick(source: SourceFace, face: TargetFace) -> SourceFace:
    """The set's photo whose pose is nearest the face's (the source itself without a set)."""
    found = source.data.get("set")
    if not found or face.points.shape[0] < 68:
        return source
    want = head_pose(face.points[:68])
    scored = [(m.data["pose"].distance(want), i) for i, m in enumerate(found) if m.data["pose"]]
    if not scored:
        return source
    best_d, best = min(scored)
    kept: Any = face.extra.get("set_pick")
    if isinstance(kept, tuple) and kept[0] is source and kept[1] < len(found):
        current = found[kept[1]].data["pose"]
        if current is not None and current.distance(want) <= best_d + HYSTERESIS_DEG:
            best = kept[1]
    face.extra["set_pick"] = (source, best)
    return found[best]


def describe(source: SourceFace) -> list[dict[str, Any]]:
    """Per photo of the set, its pose (what /face/status lists)."""
    out = []
    for m in members(source):
        pose = m.data.get("pose")
        out.append(pose.as_dict() if pose is not None else {"yaw": None, "pitch": None})
    return out
