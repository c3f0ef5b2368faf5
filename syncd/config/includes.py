"""`include: [path, ...]`: other files that add cycles, objectives, sources and matching rules to the config."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from syncd.config.errors import ConfigError, ConfigProblem
from syncd.config.positions import KeyPath, LocatedDocument, format_path, parse_yaml

INCLUDE_KEY = "include"
#: Top-level key of the main config that lets includes leave its directory (off: a config cannot read other files).
OUTSIDE_KEY = "include_outside"
#: The most a config file may hold; past it the file is refused unread (a config is text an admin writes).
MAX_FILE_BYTES = 1024 * 1024
#: How many files deep includes may nest (main file -> included -> ...): teams need one or two levels.
MAX_INCLUDE_DEPTH = 16
#: The lists an included file may add items to; any other key in it is a problem.
INCLUDABLE: tuple[KeyPath, ...] = (("cycles",), ("objectives",), ("sources",), ("matching", "rules"))


def read_config_file(path: Path) -> LocatedDocument:
    """Read `path` and every file it includes (relative to the including file) into one located document.

    Included files must resolve, after symlinks, inside `path`'s directory unless its `include_outside` is true.
    """
    reader = _IncludeReader()
    document = reader.read(path, str(path), ())
    if reader.problems:
        raise ConfigError(reader.problems)
    return document


def read_text(path: Path, shown: str) -> str:
    """The file's text; a missing, unreadable or non-UTF-8 file is a `ConfigError` saying what to do."""
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        message = "config file not found; pass --config FILE, set SYNCD_CONFIG, or create ./syncd.yaml"
        raise ConfigError([ConfigProblem(shown, None, "", message)]) from None
    except OSError as error:
        raise ConfigError([ConfigProblem(shown, None, "", f"cannot read the file: {error.strerror}")]) from None
    if len(raw) > MAX_FILE_BYTES:
        line = raw[:MAX_FILE_BYTES].count(b"\n") + 1
        message = (
            "the file is larger than 1 MiB (the most a config file may be); "
            "split it with include: or remove what it does not need"
        )
        raise ConfigError([ConfigProblem(shown, line, "", message)])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ConfigError([ConfigProblem(shown, line, "", "not UTF-8 text; save the file as UTF-8")]) from None


class _IncludeReader:
    """Reads a file and its includes depth-first, refusing cycles, and merges the included list items."""

    def __init__(self) -> None:
        self.problems: list[ConfigProblem] = []
        #: The main config's directory (resolved, and as shown), which includes must stay in; None if they may leave.
        self.root: tuple[Path, Path] | None = None

    def read(self, path: Path, shown: str, chain: tuple[Path, ...]) -> LocatedDocument:
        document = parse_yaml(read_text(path, shown), shown)
        if not isinstance(document.data, dict) or INCLUDE_KEY not in document.data:
            return document
        if not chain and document.data.get(OUTSIDE_KEY) is not True:
            self.root = (path.resolve().parent, path.absolute().parent)
        entries = document.data.pop(INCLUDE_KEY)
        for index, entry in enumerate(self._entries(document, entries)):
            included = self._read_included(document, path, (*chain, path.resolve()), entry, index)
            if included is not None:
                _merge(document, included)
        return document

    def _entries(self, document: LocatedDocument, entries: Any) -> list[str | None]:
        if isinstance(entries, str):
            entries = [entries]
        if not isinstance(entries, list):
            self._problem(document, (INCLUDE_KEY,), "include must be a list of file paths")
            return []
        for index, entry in enumerate(entries):
            if not isinstance(entry, str) or not entry:
                self._problem(document, (INCLUDE_KEY, index), "each include is a file path (a string)")
        return [entry if isinstance(entry, str) and entry else None for entry in entries]

    def _read_included(
        self, parent: LocatedDocument, path: Path, chain: tuple[Path, ...], entry: str | None, index: int
    ) -> LocatedDocument | None:
        if entry is None:
            return None
        target, shown = path.parent / entry, os.path.normpath(Path(parent.file).parent / entry)
        if not self._includable_path(parent, (target, shown), chain, index):
            return None
        try:
            included = self.read(target, shown, chain)
        except ConfigError as error:
            self.problems.extend(error.problems)
            return None
        self._check_includable(included)
        return included

    def _includable_path(
        self, parent: LocatedDocument, included: tuple[Path, str], chain: tuple[Path, ...], index: int
    ) -> bool:
        """True when the included file is not too deep, not already being read (a cycle), inside the main config's
        directory after symlinks (unless `include_outside: true`), and exists."""
        (target, shown), where = included, (INCLUDE_KEY, index)
        if len(chain) > MAX_INCLUDE_DEPTH:
            message = (
                f"includes are nested more than {MAX_INCLUDE_DEPTH} files deep; include the files from fewer levels"
            )
            self._problem(parent, where, message)
            return False
        if target.resolve() in chain:
            loop = " -> ".join([*(str(step) for step in chain), str(target.resolve())])
            self._problem(parent, where, f"include cycle: {loop}; remove one of these includes")
            return False
        if self.root is not None and not target.resolve().is_relative_to(self.root[0]):
            message = (
                f"included file {shown} is outside the main config's directory {self.root[1]}; move it there, "
                f"or set {OUTSIDE_KEY}: true at the top of the main config"
            )
            self._problem(parent, where, message)
            return False
        if not target.is_file():
            self._problem(parent, where, f"included file {shown} not found; fix the path")
            return False
        return True

    def _check_includable(self, included: LocatedDocument) -> None:
        data = included.data
        if data is None:
            return
        allowed = "an included file may only add cycles, objectives, sources and matching.rules"
        if not isinstance(data, dict):
            self._problem(included, (), f"{allowed}; write them as a mapping of those keys")
            return
        for key, value in list(data.items()):
            nested = isinstance(value, dict) and key == "matching"
            extra = [name for name in value if name != "rules"] if nested else []
            if (key,) not in INCLUDABLE and not nested:
                self._problem(included, (key,), f"{allowed}; move this key to the main config")
                del data[key]
            for name in extra:
                self._problem(included, (key, name), f"{allowed}; move this key to the main config")
                del value[name]

    def _problem(self, document: LocatedDocument, path: KeyPath, message: str) -> None:
        position = document.position_of(path)
        self.problems.append(ConfigProblem(position.file, position.line, format_path(path), message))


def _merge(document: LocatedDocument, included: LocatedDocument) -> None:
    """Append the included file's list items to the document's lists, keeping their own positions."""
    if not isinstance(included.data, dict) or not isinstance(document.data, dict):
        return
    for list_path in INCLUDABLE:
        items = _list_at(included.data, list_path, create=False)
        target = _list_at(document.data, list_path, create=True) if items else None
        if not items or target is None:
            continue
        offset = len(target)
        target.extend(items)
        for path, position in included.positions.items():
            if path[: len(list_path)] == list_path and len(path) > len(list_path):
                index = path[len(list_path)]
                assert isinstance(index, int)
                document.positions[(*list_path, offset + index, *path[len(list_path) + 1 :])] = position


def _list_at(data: dict[Any, Any], path: KeyPath, *, create: bool) -> list[Any] | None:
    """The list at `path`; with `create`, missing mappings and the list itself are added (not wrong types)."""
    node: Any = data
    for segment in path[:-1]:
        if create and node.get(segment) is None:
            node[segment] = {}
        node = node.get(segment)
        if not isinstance(node, dict):
            return None
    if create and node.get(path[-1]) is None:
        node[path[-1]] = []
    found = node.get(path[-1])
    return found if isinstance(found, list) else None
