"""The subset of JQL that syncd sends, parsed into a predicate over simulated issues, and its ordering.

Understood: clauses joined by `AND` (parentheses group), `project in (A, "B")`, `project = A`,
`key in (...)`, `key = K`, `issuetype = X` / `!= X`, `labels = X`, `updated >= "yyyy/MM/dd HH:mm"` (or
`>`, `<=`, `<`; read in the API user's time zone, as Jira does), then `ORDER BY updated ASC|DESC` or
`ORDER BY key`. Anything else raises `JqlError`, which the simulator answers 400 as Jira does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from syncd.simulators.jira.state import Issue

Predicate = Callable[[Issue], bool]
_ORDER = re.compile(r"\s+ORDER\s+BY\s+(\w+)(?:\s+(ASC|DESC))?\s*$", re.I)
_LIST = re.compile(r"^(\w+)\s+(in|not in)\s+\((.*)\)$", re.I | re.S)
_COMPARE = re.compile(r"^(\w+)\s*(>=|<=|!=|=|>|<)\s*(.+)$", re.S)


class JqlError(ValueError):
    """A query outside the simulator's JQL subset, or a malformed one (Jira: 400 "Error in the JQL Query")."""


@dataclass(frozen=True)
class Query:
    """A parsed query: which issues match, and the order they come in."""

    matches: Predicate
    order_by: str = "key"
    descending: bool = False

    def sort(self, issues: list[Issue]) -> list[Issue]:
        """`issues` in the query's order (ties by id, as Jira breaks them)."""
        if self.order_by == "updated":
            return sorted(issues, key=lambda i: (i.updated, i.id), reverse=self.descending)
        return sorted(issues, key=lambda i: (i.project, i.number), reverse=self.descending)


def parse(jql: str, zone: tzinfo) -> Query:
    """Parse `jql`; dates are read in `zone`."""
    order_by, descending = "key", False
    found = _ORDER.search(jql)
    if found:
        order_by, descending = found.group(1).lower(), (found.group(2) or "ASC").upper() == "DESC"
        jql = jql[: found.start()]
        if order_by not in ("updated", "key"):
            raise JqlError(f"the simulator cannot order by {order_by!r}")
    return Query(_conjunction(jql.strip(), zone), order_by, descending)


def _split_and(text: str) -> list[str]:
    parts, depth, start, quoted = [], 0, 0, False
    index = 0
    while index < len(text):
        char = text[index]
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and text[index : index + 5].upper() == " AND ":
            parts.append(text[start:index])
            start = index + 5
            index += 4
        index += 1
    parts.append(text[start:])
    return [part.strip() for part in parts]


def _conjunction(text: str, zone: tzinfo) -> Predicate:
    if not text:
        return lambda issue: True
    clauses = [_clause(part, zone) for part in _split_and(text)]
    return lambda issue: all(clause(issue) for clause in clauses)


def _value(text: str) -> str:
    text = text.strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'" else text


def _clause(text: str, zone: tzinfo) -> Predicate:
    if text.startswith("(") and text.endswith(")"):
        return _conjunction(text[1:-1].strip(), zone)
    if found := _LIST.match(text):
        field, negated = found.group(1).lower(), found.group(2).lower() == "not in"
        values = {_value(v).upper() for v in found.group(3).split(",") if v.strip()}
        getter = _getter(field)
        return lambda issue: (getter(issue).upper() in values) != negated
    if found := _COMPARE.match(text):
        field, op, raw = found.group(1).lower(), found.group(2), _value(found.group(3))
        if field == "updated":
            return _date_clause(op, raw, zone)
        if op not in ("=", "!="):
            raise JqlError(f"the simulator cannot compare {field} with {op}")
        if field == "labels":
            return lambda issue: any(label.upper() == raw.upper() for label in issue.labels) == (op == "=")
        getter = _getter(field)
        return lambda issue: (getter(issue).upper() == raw.upper()) == (op == "=")
    raise JqlError(f"Error in the JQL Query: the simulator does not understand {text[:80]!r}")


def _getter(field: str) -> Callable[[Issue], str]:
    getters: dict[str, Callable[[Issue], str]] = {
        "project": lambda issue: issue.project,
        "key": lambda issue: issue.key,
        "issuetype": lambda issue: issue.issue_type,
        "type": lambda issue: issue.issue_type,
    }
    if field not in getters:
        raise JqlError(f"the simulator does not know the field {field!r}")
    return getters[field]


def _date_clause(op: str, raw: str, zone: tzinfo) -> Predicate:
    try:
        moment = datetime.strptime(raw, "%Y/%m/%d %H:%M").replace(tzinfo=zone)
    except ValueError:
        try:
            moment = datetime.strptime(raw, "%Y-%m-%d %H:%M").replace(tzinfo=zone)
        except ValueError as error:
            raise JqlError(f"Date value {raw!r} for field 'updated' is invalid (yyyy/MM/dd HH:mm)") from error
    compare: dict[str, Callable[[datetime], bool]] = {
        ">=": lambda at: at >= moment,
        ">": lambda at: at > moment,
        "<=": lambda at: at <= moment,
        "<": lambda at: at < moment,
        "=": lambda at: at == moment,
        "!=": lambda at: at != moment,
    }
    check = compare[op]
    return lambda issue: check(issue.updated)
