"""Jira's number fields by id or by display name: `points_field`/`progress_field` resolved through `GET /field`.

Pure over the `/field` answer. A value shaped `customfield_NNNNN` is an id and kept as written; anything
else is a field's display name, compared case-insensitively, and must name exactly one field (Jira lets two
custom fields share a name; then the id is the only way to say which). Without `points_field`, the field
named "Story Points" (company-managed projects) or "Story point estimate" (team-managed) is used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from syncd.core.errors import Permanent

_FIELD_ID = re.compile(r"^customfield_\d+$")
#: The names Jira gives its story-points field (company-managed, team-managed projects), in that preference.
POINTS_FIELD_NAMES = ("story points", "story point estimate")
FieldList = Sequence[Mapping[str, Any]]


def is_field_id(value: str) -> bool:
    """Whether `value` is a custom field's id (`customfield_10016`) rather than a display name."""
    return _FIELD_ID.match(value) is not None


@dataclass(frozen=True, slots=True)
class FieldIds:
    """The field ids a source reads points from and writes progress to (None: not used)."""

    points: str | None
    progress: str | None


def _named(fields: FieldList, name: str) -> list[str]:
    return sorted(
        {
            str(field["id"])
            for field in fields
            if isinstance(field.get("name"), str)
            and str(field["name"]).casefold() == name.casefold()
            and isinstance(field.get("id"), str)
        }
    )


def resolve_field(fields: FieldList, wanted: str, role: str) -> str:
    """The id `wanted` (an id, or a display name) stands for; Permanent, saying what to write, otherwise."""
    if is_field_id(wanted):
        return wanted
    found = _named(fields, wanted)
    if len(found) == 1:
        return found[0]
    if found:
        raise Permanent(
            f"{role} {wanted!r} names {len(found)} Jira fields ({', '.join(found)}); write the id of the one meant"
        )
    numbers = sorted(str(f.get("name")) for f in fields if _schema_type(f) == "number" and f.get("name"))
    hint = f" (number fields: {', '.join(numbers[:10])})" if numbers else ""
    raise Permanent(f"{role} {wanted!r}: no Jira field has that name{hint}; write its name or id (GET /field)")


def points_field_of(fields: FieldList) -> str | None:
    """The story-points field among `GET /field`'s answer, by its usual names, or None."""
    for name in POINTS_FIELD_NAMES:
        found = _named(fields, name)
        if found:
            return found[0]
    return None


def resolve_fields(fields: FieldList, points: str | None, progress: str | None) -> FieldIds:
    """Both fields of a source (`points` None: the default story-points field, when the site has one)."""
    return FieldIds(
        resolve_field(fields, points, "points_field") if points else points_field_of(fields),
        resolve_field(fields, progress, "progress_field") if progress else None,
    )


def needs_lookup(points: str | None, progress: str | None) -> bool:
    """Whether `GET /field` must be read to know the ids (a default or a name among them)."""
    return points is None or not is_field_id(points) or (progress is not None and not is_field_id(progress))


def field_schema(fields: FieldList, field_id: str) -> Mapping[str, Any] | None:
    """The field's entry in `GET /field`'s answer, or None when the site has no such field."""
    return next((field for field in fields if field.get("id") == field_id), None)


def _schema_type(field: Mapping[str, Any]) -> object:
    schema = field.get("schema")
    return schema.get("type") if isinstance(schema, Mapping) else None


def is_number_field(field: Mapping[str, Any]) -> bool:
    """Whether a `/field` (or editmeta) entry holds numbers."""
    return _schema_type(field) == "number"
