"""The progress custom field (`progress_field`, GitLab Premium): found by name, written through GraphQL.

GitLab defines custom fields in a top-level group; every issue of the group's projects (and subgroups) can
hold them. `progress_field` names one (case-insensitive); it is looked up once per top-level group with
`group(fullPath) { customFields(active: true) { nodes { id name fieldType } } }` and its global id kept. It must
be a `NUMBER` field: it gets the KR's progress as a whole percentage, 0-100, the same number the note shows
and the same convention as Jira's and Asana's number fields. The value is written with `workItemUpdate`
(`customFieldsWidget: [{customFieldId, numberValue}]`) on the issue's work item, `gid://gitlab/WorkItem/<id>`
with the issue's global `id` (not its iid). Merge requests are not work items: they get no field. A name the
group does not have is `Permanent`, naming the fields it has, and is asked again next time (not cached).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.gitlab.client import GitLabClient
from adapters.gitlab.config import GitLabSourceConfig
from syncd.core.errors import Permanent

CUSTOM_FIELDS_QUERY = """query SyncdCustomFields($group: ID!, $after: String) {
  group(fullPath: $group) {
    customFields(active: true, first: 100, after: $after) {
      nodes { id name fieldType }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""
SET_FIELD_MUTATION = """mutation SyncdSetProgressField($input: WorkItemUpdateInput!) {
  workItemUpdate(input: $input) { workItem { id } errors }
}"""
WORK_ITEM_GID = "gid://gitlab/WorkItem/"
#: Pages of custom fields read at most per group (100 a page; a group with more is not plausible).
MAX_PAGES = 20


@dataclass(frozen=True, slots=True)
class ProgressField:
    """The resolved progress field of one top-level group: its global id and name as GitLab spells it."""

    group: str
    id: str
    name: str


def work_item_gid(issue_id: object) -> str:
    """The work item global id of an issue from its REST global `id` (`gid://gitlab/WorkItem/1001`)."""
    if not str(issue_id).isdigit():
        raise Permanent(f"GitLab served an issue without a numeric global id ({str(issue_id)[:40]!r})")
    return f"{WORK_ITEM_GID}{issue_id}"


def pick_field(source: str, group: str, name: str, nodes: Sequence[Mapping[str, Any]]) -> ProgressField:
    """The active field called `name` (case-insensitive) among `nodes`, or Permanent naming what there is."""
    wanted = name.casefold()
    found = next((node for node in nodes if str(node.get("name", "")).casefold() == wanted), None)
    if found is None:
        there = ", ".join(f"{node.get('name')!r} ({node.get('fieldType')})" for node in nodes) or "none"
        raise Permanent(
            f"source {source}: group {group} has no active custom field named {name!r} (its fields: {there}); "
            f"fix progress_field, or create a number custom field {name!r} in {group}'s settings (GitLab Premium)"
        )
    if found.get("fieldType") != "NUMBER":
        raise Permanent(
            f"source {source}: custom field {found.get('name')!r} of group {group} is a {found.get('fieldType')} "
            "field; progress_field needs a number field (progress is written 0-100)"
        )
    return ProgressField(group, str(found["id"]), str(found["name"]))


def field_input(work_item: str, field: ProgressField, percent: float) -> dict[str, Any]:
    """The `WorkItemUpdateInput` that sets the field to `percent` (and nothing else: never `weight`)."""
    return {"id": work_item, "customFieldsWidget": [{"customFieldId": field.id, "numberValue": percent}]}


def update_errors(data: Mapping[str, Any]) -> list[str]:
    """The `errors` of a `workItemUpdate` payload (a payload that is missing counts as one)."""
    payload = data.get("workItemUpdate")
    if not isinstance(payload, Mapping):
        return ["workItemUpdate answered no payload"]
    return [str(error) for error in payload.get("errors") or ()]


class ProgressFields:
    """`progress_field` resolved per top-level group, once (thread-safe; failed lookups are asked again)."""

    def __init__(self, config: GitLabSourceConfig, client: GitLabClient) -> None:
        self.config = config
        self.client = client
        self._resolved: dict[str, ProgressField] = {}
        self._lock = threading.Lock()

    def for_project(self, project: str) -> ProgressField:
        """The progress field issues of `project` take (Permanent when progress_field is unset or unknown)."""
        name = self.config.progress_field
        if name is None:
            raise Permanent(f"source {self.config.name}: no progress_field is configured")
        group = self.config.top_group(project)
        with self._lock:
            cached = self._resolved.get(group.lower())
        if cached is not None:
            return cached
        resolved = pick_field(self.config.name, group, name, self._active_fields(group))
        with self._lock:
            self._resolved[group.lower()] = resolved
        return resolved

    def _active_fields(self, group: str) -> list[Mapping[str, Any]]:
        nodes: list[Mapping[str, Any]] = []
        after: str | None = None
        for _ in range(MAX_PAGES):
            data = self.client.graphql(f"listing custom fields of group {group}", CUSTOM_FIELDS_QUERY,
                                       {"group": group, "after": after})  # fmt: skip
            found = data.get("group")
            if not isinstance(found, Mapping):
                raise Permanent(
                    f"source {self.config.name}: GitLab shows no group {group} to the token; custom fields live "
                    "in the projects' top-level group: give the token access to it"
                )
            fields = found.get("customFields")
            if not isinstance(fields, Mapping):
                raise Permanent(
                    f"source {self.config.name}: group {group} has no custom fields (GitLab Premium or Ultimate "
                    "is needed for progress_field); remove progress_field or upgrade the group"
                )
            nodes += [node for node in fields.get("nodes") or () if isinstance(node, Mapping)]
            page = fields.get("pageInfo")
            after = page.get("endCursor") if isinstance(page, Mapping) and page.get("hasNextPage") else None
            if after is None:
                break
        return nodes
