"""The request log of a simulator: every API request it answered, in arrival order, for tests to read back.

Each simulator logs its own record type (what it saw of a request differs per tracker); the records
share `method`, `path` and the `query` pairs, which is all the log and `param` need.
"""

from __future__ import annotations

import re
import threading
from typing import Generic, Protocol, TypeVar


class QueryParameters:
    """`param(name)` over a logged request's `query` pairs (a mixin for the simulators' record types)."""

    query: tuple[tuple[str, str], ...]

    def param(self, name: str) -> str | None:
        """The first value of a query parameter."""
        return next((value for key, value in self.query if key == name), None)


class Logged(Protocol):
    """What the log needs of a record."""

    @property
    def method(self) -> str:
        """The HTTP method."""
        ...

    @property
    def path(self) -> str:
        """The path, relative to the simulated API's root."""
        ...


E = TypeVar("E", bound=Logged)


class RequestLog(Generic[E]):
    """Every request in arrival order (thread-safe)."""

    def __init__(self) -> None:
        self._entries: list[E] = []
        self._lock = threading.Lock()

    def record(self, entry: E) -> None:
        """Append one request."""
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[E]:
        """A copy of the log."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Forget every logged request."""
        with self._lock:
            self._entries.clear()

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many requests match `method` and the regex `path` (both optional)."""
        pattern = None if path is None else re.compile(path)
        return sum(
            1
            for entry in self.entries()
            if (method is None or entry.method == method) and (pattern is None or pattern.search(entry.path))
        )
