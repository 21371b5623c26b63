"""The plug-in registry: register by name, one error for a name nothing registered."""

from __future__ import annotations

import pytest

from shared.registry import Registry, UnknownName


def test_register_get_names_items() -> None:
    reg: Registry[object] = Registry("widget")

    @reg.register("b")
    def make_b() -> str:
        return "b"

    a = reg.register("a", object())
    assert reg.get("b") is make_b and reg.get("a") is a
    assert reg.names() == ["a", "b"] and list(reg) == ["a", "b"]
    assert reg.items() == [("a", a), ("b", make_b)]
    assert "a" in reg and "c" not in reg and len(reg) == 2
    reg.unregister("a")
    assert reg.names() == ["b"]


@pytest.mark.parametrize("name", ["c", "", None, 3, ["a"]])
def test_an_unknown_name_says_what_exists(name: object) -> None:
    reg: Registry[int] = Registry("widget")
    reg.register("b", 2)
    reg.register("a", 1)
    with pytest.raises(UnknownName) as err:
        reg.get(name, field="spec.kind")
    exc = err.value
    assert (exc.kind, exc.name, exc.known, exc.field) == ("widget", name, ["a", "b"], "spec.kind")
    assert str(exc) == f"unknown widget {name!r} (known: a, b)"
    assert isinstance(exc, LookupError)


def test_the_backends_registries_share_the_error() -> None:
    from ar_backend.audio.effects import REGISTRY as EFFECTS
    from ar_backend.face.engines import REGISTRY as ENGINES
    from ar_backend.processors import REGISTRY as PROCESSORS
    from ar_backend.sources import REGISTRY as SOURCES

    for registry, known in (
        (SOURCES, "demo"),
        (PROCESSORS, "overlay"),
        (ENGINES, "classic"),
        (EFFECTS, "pitch"),
    ):
        assert known in registry.names()
        with pytest.raises(UnknownName, match=f"known: .*{known}"):
            registry.get("no-such-name")
