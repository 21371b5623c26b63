"""Plug-ins registered by name: video sources, frame processors, face engines, voice effects.

Each plug-in is one small file that registers itself when its package is imported::

    PROCESSORS: Registry[ProcessorFactory] = Registry("processor")

    @PROCESSORS.register("none")
    def _make(cfg, resources): ...

    ENGINES.register("classic", EngineType(...))    # or with the item itself

``get(name)`` raises :class:`UnknownName` for a name nothing is registered under, and its
message lists the names that are. Each service maps it to its answer in one place (the
backend: a 400 naming the request field, ``ar_backend/app.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar, overload

T = TypeVar("T")


class UnknownName(LookupError):
    """No ``kind`` is registered under ``name``; ``known`` lists those that are.

    ``field`` names the input that held the name, where the caller knows better than the
    kind does (``effects.2.type``); None leaves it to the service's error mapping.
    """

    def __init__(
        self, kind: str, name: object, known: Iterable[str], field: str | None = None
    ) -> None:
        self.kind = kind
        self.name = name
        self.known = sorted(known)
        self.field = field
        super().__init__(f"unknown {kind} {name!r} (known: {', '.join(self.known) or 'none'})")


class Registry(Generic[T]):
    """Named plug-ins of one ``kind`` (``"processor"``, ``"face engine"``...), in a dict."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    @overload
    def register(self, name: str) -> Callable[[T], T]: ...

    @overload
    def register(self, name: str, item: T) -> T: ...

    def register(self, name: str, item: T | None = None) -> Callable[[T], T] | T:
        """``@REGISTRY.register("name")`` on a factory or a class, or
        ``REGISTRY.register("name", item)``; a later one under the same name replaces it."""
        if item is not None:
            self._items[name] = item
            return item

        def deco(item: T) -> T:
            self._items[name] = item
            return item

        return deco

    def unregister(self, name: str) -> None:
        self._items.pop(name, None)

    def get(self, name: object, field: str | None = None) -> T:
        """The plug-in registered as ``name``, or :class:`UnknownName` naming those that are."""
        item = self._items.get(name) if isinstance(name, str) else None
        if item is None:
            raise UnknownName(self.kind, name, self._items, field)
        return item

    def names(self) -> list[str]:
        return sorted(self._items)

    def items(self) -> list[tuple[str, T]]:
        """``(name, plug-in)`` sorted by name."""
        return sorted(self._items.items())

    def values(self) -> list[T]:
        return [item for _name, item in self.items()]

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self.names())})"
