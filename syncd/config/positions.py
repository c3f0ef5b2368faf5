"""YAML with positions: the parsed data plus the file and line of every key path, from PyYAML's node marks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from syncd.config.errors import ConfigError, ConfigProblem
from syncd.config.syntax import syntax_problem

KeyPath = tuple[str | int, ...]

#: How many values YAML aliases (`*name`, `<<: *name`) may add by repetition: ample for reuse, far below a bomb.
ALIAS_BUDGET = 10_000
#: How deep values may nest (flow or block): real configs use under ten levels; PyYAML's composer recurses per level.
MAX_NESTING = 50


@dataclass(frozen=True)
class Position:
    """Where a key or list item was written (1-based line)."""

    file: str
    line: int


@dataclass
class LocatedDocument:
    """Plain data (dicts, lists, scalars) and the position of each key path in it."""

    file: str
    data: Any
    positions: dict[KeyPath, Position] = field(default_factory=dict)

    def position_of(self, path: KeyPath) -> Position:
        """The position of `path`, or of its nearest written ancestor (a missing key points at its parent)."""
        for end in range(len(path), -1, -1):
            found = self.positions.get(path[:end])
            if found is not None:
                return found
        return Position(self.file, 1)


def format_path(path: KeyPath) -> str:
    """`("objectives", 0, "key_results", 1, "target")` -> `objectives[0].key_results[1].target`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def value_at(data: Any, path: KeyPath) -> Any:
    """The value at `path` in plain data, or None when the path does not exist."""
    for segment in path:
        if isinstance(data, dict):
            data = data.get(segment)
        elif isinstance(data, list) and isinstance(segment, int) and 0 <= segment < len(data):
            data = data[segment]
        else:
            return None
    return data


def parse_yaml(text: str, file: str) -> LocatedDocument:
    """Parse one YAML document, recording positions; a syntax error or a repeated key raises `ConfigError`."""
    try:
        loader = _BoundedLoader(text)  # the reader refuses control characters here, before any parsing
    except yaml.reader.ReaderError as error:
        raise ConfigError([_character_problem(error, text, file)]) from None
    try:
        root = loader.get_single_node()
        if root is not None:
            _check_alias_expansion(root, file)
        builder = _Builder(loader, file)
        data = None if root is None else builder.build(root, ())
    except _TooDeep as error:
        message = (
            f"values are nested more than {MAX_NESTING} levels deep; a config needs a few levels, so flatten this value"
        )
        raise ConfigError([ConfigProblem(file, error.mark.line + 1, "", message)]) from None
    except yaml.reader.ReaderError as error:
        raise ConfigError([_character_problem(error, text, file)]) from None
    except yaml.MarkedYAMLError as error:
        raise ConfigError([syntax_problem(error, file)]) from None
    except yaml.YAMLError as error:
        raise ConfigError([ConfigProblem(file, None, "", "YAML error: " + " ".join(str(error).split()))]) from None
    finally:
        loader.dispose()
    if builder.problems:
        raise ConfigError(builder.problems)
    return LocatedDocument(file, data, builder.positions)


class _TooDeep(Exception):
    """Raised by the composer at the first node past `MAX_NESTING` levels."""

    def __init__(self, mark: yaml.Mark) -> None:
        self.mark = mark


class _BoundedLoader(yaml.SafeLoader):
    """A safe loader whose composer refuses to nest deeper than `MAX_NESTING` (instead of a RecursionError)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        """Compose one node, counting how deep the current one is."""
        self._depth += 1
        try:
            if self._depth > MAX_NESTING:
                # types-PyYAML leaves Parser.peek_event unannotated; it returns the next Event.
                raise _TooDeep(self.peek_event().start_mark)  # type: ignore[no-untyped-call]
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _character_problem(error: yaml.reader.ReaderError, text: str, file: str) -> ConfigProblem:
    """A character YAML refuses (NUL, other controls), by code point and line; the file's text is not shown."""
    line = text[: error.position].count("\n") + 1
    message = (
        f"the file contains the control character U+{error.character:04X}, which YAML does not allow; "
        "remove it (is this a binary file?)"
    )
    return ConfigProblem(file, line, "", message)


class _AliasBomb(Exception):
    """Raised inside the size count at the first (innermost) node whose aliases expand past the budget."""

    def __init__(self, node: Node) -> None:
        self.node = node


def _check_alias_expansion(root: Node, file: str) -> None:
    """Refuse a document whose aliases would expand past `ALIAS_BUDGET` values, before anything is expanded.

    Composed nodes are shared by their aliases, so the graph stays small; counting each node's expanded size
    once (memoized) costs no more than the file, while building the data would cost the whole expansion.
    """
    sizes: dict[int, int] = {}

    def size(node: Node) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        sizes[id(node)] = 1  # a recursive anchor counts once here; the builder refuses it with its own message
        total = 1
        if isinstance(node, SequenceNode):
            total += sum(size(item) for item in node.value)
        elif isinstance(node, MappingNode):
            total += sum(size(key) + size(value) for key, value in node.value)
        sizes[id(node)] = total
        if total > len(sizes) + ALIAS_BUDGET:  # more than the budget beyond the distinct nodes seen
            raise _AliasBomb(node)
        return total

    try:
        size(root)
    except _AliasBomb as bomb:
        message = (
            f"the YAML aliases in this value expand to more than {ALIAS_BUDGET:,} repeated values; "
            "write the repeated parts out, or reuse them less"
        )
        raise ConfigError([ConfigProblem(file, bomb.node.start_mark.line + 1, "", message)]) from None


class _Builder:
    """Walks composed nodes into plain data, recording the line of each key path and repeated keys."""

    def __init__(self, loader: yaml.SafeLoader, file: str) -> None:
        self.loader = loader
        self.file = file
        self.positions: dict[KeyPath, Position] = {}
        self.problems: list[ConfigProblem] = []
        self._walking: set[int] = set()

    def build(self, node: Node, path: KeyPath) -> Any:
        """The plain value of `node`, found at `path`."""
        self.positions.setdefault(path, Position(self.file, node.start_mark.line + 1))
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if id(node) in self._walking:
            self._problem(node, path, "an alias refers to itself; YAML anchors must not be recursive")
            return None
        self._walking.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            return self.loader.construct_object(node, deep=True)
        finally:
            self._walking.discard(id(node))

    def _scalar(self, node: ScalarNode) -> Any:
        """The scalar's value; an impossible date like 2026-13-01 stays text so validation can explain it."""
        try:
            return self.loader.construct_object(node, deep=True)
        except ValueError:
            return node.value

    def _mapping(self, node: MappingNode, path: KeyPath) -> dict[str, Any]:
        self._check_keys(node, path)
        self.loader.flatten_mapping(node)  # resolves `<<: *anchor` merge keys like yaml.safe_load does
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                continue
            key_path = (*path, key_node.value)
            self.positions[key_path] = Position(self.file, key_node.start_mark.line + 1)
            result[key_node.value] = self.build(value_node, key_path)
        return result

    def _check_keys(self, node: MappingNode, path: KeyPath) -> None:
        """Keys are plain words written once; `on:` stays the text "on" (config keys are never booleans)."""
        seen: dict[str, int] = {}
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            if not isinstance(key_node, ScalarNode):
                self._problem(key_node, path, "a key must be a plain word, not a list or a mapping")
                continue
            key, line = key_node.value, key_node.start_mark.line + 1
            if key in seen:
                self._problem(key_node, (*path, key), f"key repeated (first written on line {seen[key]}); keep one")
            seen.setdefault(key, line)

    def _problem(self, node: Node, path: KeyPath, message: str) -> None:
        self.problems.append(ConfigProblem(self.file, node.start_mark.line + 1, format_path(path), message))
