"""Validate located data with pydantic and turn each error into a problem with file, line, key and advice."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from syncd.config.errors import ConfigProblem
from syncd.config.fields import known_kinds, model_at
from syncd.config.models import KR_ID
from syncd.config.positions import KeyPath, LocatedDocument, format_path, value_at
from syncd.config.source import SOURCE_NAME

M = TypeVar("M", bound=BaseModel)

#: Plain words for pydantic's messages that name Python types or raw patterns.
_PLAIN = {
    "missing": "required key is missing",
    "model_type": "expected a mapping of keys (key: value)",
    "model_attributes_type": "expected a mapping of keys (key: value)",
    "dict_type": "expected a mapping of keys (key: value)",
    "list_type": "expected a list: [a, b] or one `- item` per line",
}
_PATTERNS = {
    KR_ID: "use letters, digits, '.', '_' and '-', starting with a letter or digit (e.g. ENG-1.2)",
    SOURCE_NAME: "use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit (e.g. acme-github)",
}


def validate_document(
    model: type[M],
    document: LocatedDocument,
    hidden: Collection[KeyPath],
    from_environment: Mapping[KeyPath, Mapping[str, str]] | None = None,
) -> tuple[M | None, list[ConfigProblem]]:
    """The validated model, or None and one problem per pydantic error.

    Values at `hidden` paths are never shown; nor is any value that `from_environment` says a path's
    `${NAME}` references resolved to: a message would show `${NAME}` in its place.
    """
    try:
        return model.model_validate(document.data), []
    except ValidationError as error:
        translator = _Translator(model, document, hidden, from_environment or {})
        return None, [translator.problem(detail) for detail in error.errors(include_url=False)]


def suggestion(word: str, choices: Collection[str]) -> str:
    """`; did you mean "measure"?` for the nearest choice, or an empty string when nothing is close."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f'; did you mean "{close[0]}"?' if close else ""


class _Translator:
    """Knows the root model and the data, so it can map a pydantic `loc` to a key path and explain it."""

    def __init__(
        self,
        model: type[BaseModel],
        document: LocatedDocument,
        hidden: Collection[KeyPath],
        from_environment: Mapping[KeyPath, Mapping[str, str]],
    ) -> None:
        self.model = model
        self.document = document
        self.hidden = {*hidden, *from_environment}
        self.from_environment = from_environment

    def problem(self, detail: ErrorDetails) -> ConfigProblem:
        """One problem for one pydantic error."""
        path = self._path(detail["loc"])
        kind = detail["type"]
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            path = (*path, "kind")
        position = self.document.position_of(path)
        message = self._without_environment_values(self._message(detail, path), path)
        return ConfigProblem(position.file, position.line, format_path(path), message)

    def _without_environment_values(self, message: str, path: KeyPath) -> str:
        """`message` with each value that came from `${NAME}` at or below `path` written as `${NAME}`."""
        references = {
            name: value
            for where, used in self.from_environment.items()
            if where[: len(path)] == path or path[: len(where)] == where
            for name, value in used.items()
            if value
        }
        for name, value in sorted(references.items(), key=lambda item: -len(item[1])):
            message = message.replace(value, f"${{{name}}}")
        return message

    def _path(self, loc: tuple[int | str, ...]) -> KeyPath:
        """Follow `loc` through the data, dropping the segments pydantic adds for union members and tags."""
        path: list[str | int] = []
        data: Any = self.document.data
        for index, segment in enumerate(loc):
            last = index == len(loc) - 1
            absent = isinstance(data, dict) and isinstance(segment, str) and segment not in data
            if absent and (segment == data.get("kind") or not last):
                continue
            path.append(segment)
            data = value_at(data, (segment,))
        return tuple(path)

    def _message(self, detail: ErrorDetails, path: KeyPath) -> str:
        kind = detail["type"]
        explain = {
            "extra_forbidden": self._unknown_key,
            "union_tag_invalid": self._unknown_kind,
            "union_tag_not_found": self._missing_kind,
        }.get(kind)
        if explain is not None:
            return explain(path)
        if kind == "value_error":
            return detail["msg"].removeprefix("Value error, ")
        if kind == "string_type" and isinstance(detail.get("input"), int | float):
            return "expected text, got a number; put it in quotes (gids and ids are strings)"
        pattern = str(detail.get("ctx", {}).get("pattern", ""))
        if kind == "string_pattern_mismatch" and pattern in _PATTERNS:
            return f"not a valid name; {_PATTERNS[pattern]}" + self._shown_input(detail, path)
        return _PLAIN.get(kind, detail["msg"]) + ("" if kind == "missing" else self._shown_input(detail, path))

    def _unknown_key(self, path: KeyPath) -> str:
        model = model_at(self.model, self.document.data, path[:-1])
        if model is None:
            return "unknown key"
        names = list(model.model_fields)
        hint = suggestion(str(path[-1]), names)
        return f"unknown key{hint}" if hint else f"unknown key; expected one of: {', '.join(names)}"

    def _unknown_kind(self, path: KeyPath) -> str:
        kinds = self._kinds(path)
        given = str(value_at(self.document.data, path))
        return f'unknown source kind "{given}"; known kinds: {", ".join(kinds)}{suggestion(given, kinds)}'

    def _missing_kind(self, path: KeyPath) -> str:
        return f"required key is missing; every source needs a kind, one of: {', '.join(self._kinds(path))}"

    def _kinds(self, path: KeyPath) -> list[str]:
        return known_kinds(self.model, str(path[0])) if path else []

    def _shown_input(self, detail: ErrorDetails, path: KeyPath) -> str:
        value = detail.get("input")
        if path in self.hidden or isinstance(value, dict | list) or value is None:
            return ""
        text = repr(value)
        return f" (got {text if len(text) <= 60 else text[:57] + '...'})"
