"""Provides Registry, the one way tfbench declares a kind of thing once: models, questions and metrics.

A registry holds entries by key, in the order they were added: its built-in entries first (given
as a tuple, or as a function that finds them on first use), then any registered later. Built-in
entries cannot be replaced or removed. A test adds entries for one block with `added()`, which
removes them again however the block ends; `register()` adds one for good (a user's own model).
Every error is one line naming the kind, the key and what is allowed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Entries of one kind by key (e.g. a model by its name), built-ins first, then in order of registration.

    kind: what an entry is, for messages ("model", "question", "metric").
    key: the attribute of an entry that names it ("name", "key").
    built_in: the built-in entries, or a function returning them (called once, on first use).
    """

    def __init__(self, kind: str, *, key: str = "name", built_in: Iterable[T] | Callable[[], Iterable[T]] = ()):
        self.kind = kind
        self._key = key
        self._built_in_source = built_in
        self._entries: dict[str, T] | None = None
        self._built_in: frozenset[str] = frozenset()

    def _table(self) -> dict[str, T]:
        if self._entries is None:
            source = self._built_in_source
            entries: dict[str, T] = {}
            for entry in source() if callable(source) else source:
                self._add(entries, entry)
            self._built_in = frozenset(entries)
            self._entries = entries
        return self._entries

    def _add(self, entries: dict[str, T], entry: T) -> None:
        key = getattr(entry, self._key)
        if key in entries:
            raise ValueError(
                f"{self._key}={key!r} is not allowed: a {self.kind} of that {self._key} is registered already"
            )
        entries[key] = entry

    def register(self, entry: T) -> T:
        """Adds an entry for good (until unregister).

        Raises:
          ValueError: an entry of that key is registered already.
        """
        self._add(self._table(), entry)
        return entry

    def unregister(self, key: str) -> None:
        """Removes an entry register() added.

        Raises:
          ValueError: the key is a built-in entry's, or nothing has it.
        """
        table = self._table()
        if key in self._built_in or key not in table:
            raise ValueError(
                f"{self._key}={key!r} is not allowed: only a {self.kind} added by register() can be removed"
            )
        del table[key]

    @contextlib.contextmanager
    def added(self, *entries: T) -> Iterator[tuple[T, ...]]:
        """For tests: the entries registered while the block runs, removed after it however it ends.

        Raises:
          ValueError: an entry's key is registered already (nothing is added then).
        """
        table = self._table()
        keys = [getattr(entry, self._key) for entry in entries]
        for key in keys:
            if key in table or keys.count(key) > 1:
                raise ValueError(
                    f"{self._key}={key!r} is not allowed: a {self.kind} of that {self._key} is registered already"
                )
        for entry in entries:
            self._add(table, entry)
        try:
            yield entries
        finally:
            for key in keys:
                table.pop(key, None)

    def get(self, key: str) -> T:
        """The entry of that key.

        Raises:
          ValueError: nothing has that key (the message lists the keys that are registered).
        """
        table = self._table()
        if key not in table:
            raise ValueError(f"{self.kind}={key!r} is not allowed: choose one of {', '.join(table)}")
        return table[key]

    def find(self, key: str) -> T | None:
        """The entry of that key, or None (saved runs may name entries this version does not have)."""
        return self._table().get(key)

    def all(self) -> tuple[T, ...]:
        """Every entry: the built-ins in their order, then those registered later."""
        return tuple(self._table().values())

    def keys(self) -> tuple[str, ...]:
        return tuple(self._table())

    def is_built_in(self, key: str) -> bool:
        self._table()
        return key in self._built_in

    def __iter__(self) -> Iterator[T]:
        return iter(self.all())

    def __contains__(self, key: object) -> bool:
        return key in self._table()

    def __len__(self) -> int:
        return len(self._table())
