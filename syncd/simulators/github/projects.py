"""Projects v2 of the simulated GitHub, and the few GraphQL operations syncd sends about them.

This is a test double, not a GraphQL engine: it answers the named operations syncd's client sends
(`SyncdProjectField`, `SyncdProjectItems`, `SyncdSetProjectField`) with GitHub's response shapes.
"""

from __future__ import annotations

import re
from typing import Any

from syncd.simulators.github.entities import SimProject, SimProjectField, SimProjectItem
from syncd.simulators.github.state import GitHubState, SimError
from syncd.simulators.kit.paging import cursor_page

_OPERATION = re.compile(r"^\s*(?:query|mutation)\s+(\w+)")
JsonObject = dict[str, Any]


def _errors(message: str) -> JsonObject:
    return {"data": None, "errors": [{"type": "NOT_FOUND", "message": message}]}


class Projects:
    """Projects with number/text fields and items, plus the GraphQL resolver over them."""

    def __init__(self, state: GitHubState) -> None:
        self.state = state
        self.projects: dict[str, SimProject] = {}

    def create(self, title: str, fields: dict[str, str]) -> SimProject:
        """A project with fields by name -> `NUMBER` or `TEXT`."""
        with self.state.lock:
            project = SimProject(id=f"PVT_{self.state.next_id()}", title=title)
            for name, data_type in fields.items():
                project.fields[name] = SimProjectField(f"PVTF_{self.state.next_id()}", name, data_type)
            self.projects[project.id] = project
            return project

    def add_item(self, project_id: str, full_name: str, number: int) -> SimProjectItem:
        """Add an issue or pull request to a project."""
        with self.state.lock:
            issue = self.state.issue(full_name, number)
            item = SimProjectItem(id=f"PVTI_{self.state.next_id()}", repo=issue.repo, number=issue.number)
            self.projects[project_id].items[item.id] = item
            return item

    def value(self, project_id: str, full_name: str, number: int, field: str) -> float | str | None:
        """The value a field holds on an issue's item (None when unset or not an item)."""
        project = self.projects[project_id]
        for item in project.items.values():
            if item.repo.lower() == full_name.lower() and item.number == number:
                return item.values.get(project.fields[field].id)
        return None

    def execute(self, query: str, variables: dict[str, Any]) -> JsonObject:
        """Answer one GraphQL request by its operation name."""
        match = _OPERATION.match(query)
        name = match.group(1) if match else ""
        with self.state.lock:
            if name == "SyncdProjectField":
                return self._field(str(variables.get("project")), str(variables.get("field")))
            if name == "SyncdProjectItems":
                return self._items(variables)
            if name == "SyncdSetProjectField":
                return self._set_value(variables.get("input") or {})
        return {"data": None, "errors": [{"message": f"the simulator does not answer operation {name!r}"}]}

    def _field(self, project_id: str, field_name: str) -> JsonObject:
        project = self.projects.get(project_id)
        if project is None:
            return _errors(f"Could not resolve to a node with the global id of '{project_id}'")
        field = project.fields.get(field_name)
        found = None if field is None else {"id": field.id, "name": field.name, "dataType": field.data_type}
        return {"data": {"node": {"id": project.id, "title": project.title, "field": found}}}

    def _items(self, variables: dict[str, Any]) -> JsonObject:
        full_name = f"{variables.get('owner')}/{variables.get('name')}"
        try:
            issue = self.state.issue(full_name, int(variables.get("number") or 0))
        except SimError:
            return _errors(f"Could not resolve to an issue or pull request in {full_name}")
        nodes = [
            {"id": item.id, "project": {"id": project.id}}
            for project in self.projects.values()
            for item in project.items.values()
            if item.repo == issue.repo and item.number == issue.number
        ]
        try:
            page = cursor_page(nodes, first=_count(variables.get("first")), after=variables.get("after"))
        except ValueError as error:  # a cursor no page handed out, or a negative `first`
            return _errors(str(error))
        connection = {"nodes": list(page.items), "pageInfo": page.page_info()}
        return {"data": {"repository": {"issueOrPullRequest": {"projectItems": connection}}}}

    def _set_value(self, payload: dict[str, Any]) -> JsonObject:
        project = self.projects.get(str(payload.get("projectId")))
        item = project.items.get(str(payload.get("itemId"))) if project else None
        field = next((f for f in project.fields.values() if f.id == payload.get("fieldId")), None) if project else None
        if project is None or item is None or field is None:
            return _errors("Could not resolve the project, item or field of updateProjectV2ItemFieldValue")
        value = payload.get("value") or {}
        key = "number" if field.data_type == "NUMBER" else "text"
        if key not in value:
            return {"data": None, "errors": [{"message": f"field {field.name!r} takes a {key} value"}]}
        item.values[field.id] = float(value[key]) if key == "number" else str(value[key])
        return {"data": {"updateProjectV2ItemFieldValue": {"projectV2Item": {"id": item.id}}}}


def _count(value: Any) -> int | None:
    """A GraphQL `first` argument (None when the query did not pass one)."""
    return None if value is None else int(value)
