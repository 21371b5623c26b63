"""One front door (issue 22): the blueprints call the Studio's methods, and the public methods of
the sub-objects it publishes on purpose (``Studio.PUBLISHED``, said in docs/architecture.md),
never a private member, a setting or an internal of either."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from ar_backend import api
from ar_backend.audio.chain import EffectChain
from ar_backend.audio.engine import AudioEngine
from ar_backend.background.live import Background
from ar_backend.face.live.people import LivePeople
from ar_backend.face.live.session import FaceSwap
from ar_backend.jobs.queue import JobQueue
from ar_backend.studio import Studio
from ar_backend.weights.fetch import ModelFetcher

PUBLISHED: dict[str, type] = {
    "face": FaceSwap,
    "people": LivePeople,
    "audio": AudioEngine,
    "effects": EffectChain,
    "jobs": JobQueue,
    "models": ModelFetcher,
    "background": Background,
}
BLUEPRINTS = sorted(p for p in Path(api.__file__).parent.glob("*.py") if p.name != "__init__.py")


def operation(cls: type, name: str) -> bool:
    """``name`` is a public method or property of ``cls`` (not a data attribute)."""
    if name.startswith("_"):
        return False
    try:
        found = inspect.getattr_static(cls, name)
    except AttributeError:
        return False
    return inspect.isfunction(found) or isinstance(found, property | staticmethod)


def chain_of(node: ast.AST) -> tuple[ast.AST, list[str]]:
    """(the root, the attribute names after it) of ``a.b.c``."""
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    return node, names[::-1]


def is_get_studio(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and getattr(node.func, "id", None) == "get_studio"


def reaches(source: str) -> list[tuple[int, list[str]]]:
    """Each use of the Studio in a module: its line and the attribute path from the Studio
    (``["face", "load_image"]``), through local names bound to ``get_studio()`` or to one of
    its attributes."""
    tree = ast.parse(source)
    outer: set[int] = set()  # attribute nodes that are the value of another: not whole chains
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
            outer.add(id(node.value))
    found: list[tuple[int, list[str]]] = []
    for func in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
        aliases: dict[str, list[str]] = {}
        for node in ast.walk(func):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                root, names = chain_of(node.value)
                if isinstance(target, ast.Name) and is_get_studio(root):
                    aliases[target.id] = names
        for node in ast.walk(func):
            if not isinstance(node, ast.Attribute) or id(node) in outer:
                continue
            root, names = chain_of(node)
            if is_get_studio(root):
                found.append((node.lineno, names))
            elif isinstance(root, ast.Name) and root.id in aliases:
                found.append((node.lineno, aliases[root.id] + names))
        found.extend((func.lineno, names) for names in aliases.values() if names)
    return found


def allowed(path: list[str]) -> bool:
    if not path:
        return True
    first, rest = path[0], path[1:]
    if first in PUBLISHED:
        return len(rest) <= 1 and (not rest or operation(PUBLISHED[first], rest[0]))
    return operation(Studio, first) and not rest


def test_the_published_sub_objects_are_the_studios_list() -> None:
    assert set(PUBLISHED) == set(Studio.PUBLISHED)


def test_blueprints_go_through_the_front_door() -> None:
    bad = []
    for path in BLUEPRINTS:
        tree_source = path.read_text(encoding="utf-8")
        for line, names in reaches(tree_source):
            if not allowed(names):
                bad.append(f"{path.name}:{line}: studio.{'.'.join(names)}")
    assert bad == [], "blueprints reaching past the Studio's front door:\n" + "\n".join(bad)


def test_the_check_sees_a_reach_through() -> None:
    """The check itself: each of these would fail it."""
    source = (
        "def f():\n"
        "    studio = get_studio()\n"
        "    a = studio.config.face.max_upload_mb\n"
        "    b = get_studio().face.cfg.max_set\n"
        "    c = get_studio().face.engines.listing()\n"
        "    d = get_studio()._lock\n"
        "    e = get_studio().jpeg.snapshot()\n"
    )
    paths = [names for _, names in reaches(source)]
    assert paths and not any(allowed(p) for p in paths if p), paths
    ok = "def g():\n    face = get_studio().face\n    face.load_image(1, 2, 3)\n"
    assert all(allowed(p) for _, p in reaches(ok))
