"""Cross-reference checks that need the whole config: unique ids and names, known cycles, KRs and parents.

They run on the located data (not the model) so each problem names the exact key path and line, and they
run even when other keys are invalid, so the admin sees every problem at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from syncd.config.errors import ConfigProblem
from syncd.config.positions import KeyPath, LocatedDocument, format_path, value_at
from syncd.config.validation import suggestion


def reference_problems(document: LocatedDocument) -> list[ConfigProblem]:
    """Every cross-reference problem in the config, each at the key that is wrong."""
    checker = _References(document)
    checker.check()
    return checker.problems


class _References:
    """Collects the declared ids once, then checks every place that refers to them."""

    def __init__(self, document: LocatedDocument) -> None:
        self.document = document
        self.problems: list[ConfigProblem] = []
        self.cycles = self._unique("cycle", _items(document.data, ("cycles",), "id"))
        self.objectives = self._unique("objective", _items(document.data, ("objectives",), "id"))
        self.key_results = self._unique("key result", self._key_result_ids())
        self.sources = self._unique("source name", _items(document.data, ("sources",), "name"))
        self.stores = self._unique("OKR store name", _items(document.data, ("okr_stores",), "name"))

    def check(self) -> None:
        """Run every reference check."""
        for path, objective in _entries(self.document.data, ("objectives",)):
            self._known("cycle", (*path, "cycle"), objective.get("cycle"), self.cycles)
            self._parent(path, objective)
        self._alignment_loops()
        for path, rule in _entries(self.document.data, ("matching", "rules")):
            self._rule(path, rule)
        for path, source in _entries(self.document.data, ("sources",)):
            self._source(path, source)
        self._store_names()
        for path, store in _entries(self.document.data, ("okr_stores",)):
            metrics = store.get("metrics")
            for key_result in metrics if isinstance(metrics, dict) else {}:
                self._known("key result", (*path, "metrics", key_result), key_result, self.key_results)

    def _key_result_ids(self) -> Iterator[tuple[KeyPath, Any]]:
        for path, _objective in _entries(self.document.data, ("objectives",)):
            yield from _items(self.document.data, (*path, "key_results"), "id")

    def _unique(self, what: str, items: Iterator[tuple[KeyPath, Any]]) -> dict[str, KeyPath]:
        first: dict[str, KeyPath] = {}
        for path, value in items:
            if not isinstance(value, str):
                continue
            if value in first:
                where = self.document.position_of(first[value])
                self._problem(path, f'duplicate {what} "{value}" (first at {where.file}:{where.line}); make it unique')
            first.setdefault(value, path)
        return first

    def _known(self, what: str, path: KeyPath, value: Any, known: dict[str, KeyPath]) -> None:
        if not isinstance(value, str) or value in known:
            return
        listed = ", ".join(known) if known else "none declared"
        self._problem(path, f'unknown {what} "{value}"{suggestion(value, known)} (known: {listed})')

    def _parent(self, path: KeyPath, objective: dict[Any, Any]) -> None:
        parent = objective.get("parent")
        if parent is not None and parent == objective.get("id"):
            self._problem((*path, "parent"), "an objective cannot be its own parent")
        else:
            self._known("parent objective", (*path, "parent"), parent, self.objectives)

    def _alignment_loops(self) -> None:
        parents = {
            objective.get("id"): objective.get("parent")
            for _path, objective in _entries(self.document.data, ("objectives",))
        }
        reported: set[Any] = set()
        for start, path in self.objectives.items():
            seen: list[Any] = [start]
            node = parents.get(start)
            while node in parents and node not in seen:
                seen.append(node)
                node = parents.get(node)
            if node == start and start not in reported and len(seen) > 1:
                reported.update(seen)
                loop = " -> ".join(str(step) for step in [*seen, start])
                self._problem((*path[:-1], "parent"), f"objectives align in a loop ({loop}); break the loop")

    def _rule(self, path: KeyPath, rule: dict[Any, Any]) -> None:
        for index, key_result in enumerate(rule.get("key_results") or []):
            self._known("key result", (*path, "key_results", index), key_result, self.key_results)
        self._known("source", (*path, "source"), rule.get("source"), self.sources)

    def _source(self, path: KeyPath, source: dict[Any, Any]) -> None:
        goals = source.get("goals")
        for key_result in goals if isinstance(goals, dict) else {}:
            self._known("key result", (*path, "goals", key_result), key_result, self.key_results)
        project_krs = value_at(source, ("match", "project_krs"))
        for project, krs in project_krs.items() if isinstance(project_krs, dict) else []:
            for index, key_result in enumerate(krs if isinstance(krs, list) else []):
                where = (*path, "match", "project_krs", project, index)
                self._known("key result", where, key_result, self.key_results)

    def _store_names(self) -> None:
        """A store's push targets carry its name where a source's carry the source's: the names must differ."""
        for name, path in self.stores.items():
            if name in self.sources:
                where = self.document.position_of(self.sources[name])
                self._problem(path, f'OKR store "{name}" has the name of a source (at {where.file}:{where.line}); '
                                    "give the store a name of its own")  # fmt: skip

    def _problem(self, path: KeyPath, message: str) -> None:
        position = self.document.position_of(path)
        self.problems.append(ConfigProblem(position.file, position.line, format_path(path), message))


def _entries(data: Any, path: KeyPath) -> Iterator[tuple[KeyPath, dict[Any, Any]]]:
    """(path, mapping) of each mapping item of the list at `path`; other items are the validator's business."""
    items = value_at(data, path)
    for index, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict):
            yield (*path, index), item


def _items(data: Any, path: KeyPath, key: str) -> Iterator[tuple[KeyPath, Any]]:
    """(path of `key`, its value) in each mapping item of the list at `path`."""
    for item_path, item in _entries(data, path):
        if key in item:
            yield (*item_path, key), item[key]
