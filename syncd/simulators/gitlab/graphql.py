"""The simulated instance's GraphQL API (`POST /api/graphql`), the part syncd uses: a group's custom fields
and `workItemUpdate` setting a custom field's value on an issue (GitLab Premium).

Executed by graphql-core against a schema written in GitLab's own names (`Group.customFields`,
`WorkItemUpdateInput.customFieldsWidget`, `WorkItemWidgetCustomFieldValueInputType`, the global ids
`gid://gitlab/WorkItem/<id>` and `gid://gitlab/Issuables::CustomField/<id>`). Merge requests are not work
items: `workItemUpdate` on one is refused as GitLab refuses an id it cannot resolve. A mutation that cannot be
applied answers `errors` in its payload (`data.workItemUpdate.errors`), as GitLab's mutations do; a document
that does not parse or validate answers top-level `errors`. Only the issue's custom field values change:
never its `weight`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    build_schema,
    execute_sync,
    parse,
    validate,
)

from syncd.simulators.gitlab.render import stable_id
from syncd.simulators.gitlab.state import CustomField, GitLabState, Item
from syncd.simulators.kit.paging import PageTokenError, cursor_page

Node = dict[str, Any]
Info = GraphQLResolveInfo[Any]
WORK_ITEM_GID = "gid://gitlab/WorkItem/"
FIELD_GID = "gid://gitlab/Issuables::CustomField/"
#: GitLab's answer to a global id it cannot resolve (or the token may not see).
NOT_AVAILABLE = (
    "The resource that you are attempting to access does not exist or you don't have permission to perform this action"
)
#: GitLab's largest connection page.
MAX_PAGE = 100

SCHEMA = """
scalar IssuablesCustomFieldID
scalar WorkItemID
scalar GroupID

enum CustomFieldType { SINGLE_SELECT MULTI_SELECT NUMBER TEXT DATE }

type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }

type CustomField {
  id: IssuablesCustomFieldID!
  name: String!
  fieldType: CustomFieldType!
  active: Boolean!
}

type CustomFieldConnection { nodes: [CustomField] pageInfo: PageInfo! count: Int! }

type Group {
  id: GroupID!
  fullPath: ID!
  customFields(active: Boolean, fieldType: CustomFieldType, search: String, first: Int, after: String):
    CustomFieldConnection
}

type WorkItem { id: WorkItemID! iid: String! title: String! }

type Query { group(fullPath: ID!): Group }

input WorkItemWidgetCustomFieldValueInputType {
  customFieldId: IssuablesCustomFieldID!
  selectedOptionIds: [ID!]
  numberValue: Float
  textValue: String
}

input WorkItemUpdateInput {
  id: WorkItemID!
  clientMutationId: String
  customFieldsWidget: [WorkItemWidgetCustomFieldValueInputType!]
}

type WorkItemUpdatePayload { workItem: WorkItem errors: [String!]! clientMutationId: String }

type Mutation { workItemUpdate(input: WorkItemUpdateInput!): WorkItemUpdatePayload }
"""


@dataclass(frozen=True)
class GraphQLRequest:
    """One `POST /api/graphql` the simulator answered: its operation name, variables, document and status."""

    at: float
    operation: str | None
    variables: dict[str, Any]
    query: str
    status: int
    errors: tuple[str, ...] = field(default=())

    method = "POST"
    path = "/graphql"


def _gid_number(value: object, prefix: str) -> int | None:
    text = str(value)
    number = text.removeprefix(prefix)
    return int(number) if text.startswith(prefix) and number.isdigit() else None


class GitLabGraphQL:
    """Executes GraphQL documents against the state (see the module docstring)."""

    def __init__(self, state: GitLabState) -> None:
        self.state = state
        self.schema: GraphQLSchema = build_schema(SCHEMA)

    def execute(self, query: str, variables: dict[str, Any], operation: str | None) -> tuple[int, Node]:
        """(HTTP status, body) of one request: `data` and, where something failed, `errors`."""
        try:
            document: DocumentNode = parse(query)
        except GraphQLError as error:
            return 200, {"errors": [error.formatted]}
        problems = validate(self.schema, document)
        if problems:
            return 200, {"errors": [problem.formatted for problem in problems]}
        root = {"group": self._group, "workItemUpdate": self._work_item_update}
        result = execute_sync(self.schema, document, root, variable_values=variables, operation_name=operation)
        body: Node = {"data": result.data}
        if result.errors:
            body["errors"] = [error.formatted for error in result.errors]
        return 200, body

    # -- queries ---------------------------------------------------------------------------------
    def _group(self, info: Info, fullPath: str) -> Node | None:  # noqa: N803 - GitLab's argument name
        path = fullPath.strip("/")
        known = any(p.path.lower().startswith(path.lower() + "/") for p in self.state.projects.values())
        if not known and not self.state.group_custom_fields(path):
            return None
        return {"id": f"gid://gitlab/Group/{stable_id(path.lower())}", "fullPath": path,
                "customFields": lambda info, **arguments: self._custom_fields(path, arguments)}  # fmt: skip

    def _custom_fields(self, group: str, arguments: dict[str, Any]) -> Node:
        fields = self.state.group_custom_fields(group)
        if arguments.get("active") is not None:
            fields = [f for f in fields if f.active == arguments["active"]]
        if arguments.get("fieldType") is not None:
            fields = [f for f in fields if f.field_type == arguments["fieldType"]]
        if arguments.get("search"):
            fields = [f for f in fields if str(arguments["search"]).lower() in f.name.lower()]
        first = min(int(arguments.get("first") or MAX_PAGE), MAX_PAGE)
        try:
            page = cursor_page(sorted(fields, key=lambda f: f.name.lower()), first=first, after=arguments.get("after"))
        except (PageTokenError, ValueError) as error:
            raise GraphQLError(f"Invalid cursor: {error}") from None
        return {"nodes": [self._field(f) for f in page.items], "pageInfo": page.page_info(), "count": len(fields)}

    @staticmethod
    def _field(found: CustomField) -> Node:
        return {"id": f"{FIELD_GID}{found.id}", "name": found.name, "fieldType": found.field_type,
                "active": found.active}  # fmt: skip

    # -- mutations -------------------------------------------------------------------------------
    def _work_item_update(self, info: Info, input: dict[str, Any]) -> Node:
        item = self._work_item(input["id"])
        errors = [problem for entry in input.get("customFieldsWidget") or () if (problem := self._set(item, entry))]
        rendered = {"id": f"{WORK_ITEM_GID}{item.id}", "iid": str(item.iid), "title": item.title}
        return {"workItem": rendered, "errors": errors, "clientMutationId": input.get("clientMutationId")}

    def _work_item(self, gid: object) -> Item:
        number = _gid_number(gid, WORK_ITEM_GID)
        if number is None:
            raise GraphQLError(f'"{str(gid)[:80]}" is not a valid Global ID of type "WorkItemID"')
        with self.state.lock:
            item = self.state.items.get(number)
        # Merge requests have global ids of their own, but they are no work items.
        if item is None or item.deleted or item.kind != "issue":
            raise GraphQLError(NOT_AVAILABLE)
        return item

    def _set(self, item: Item, entry: dict[str, Any]) -> str | None:
        """Set one custom field's value from a widget input entry; the payload error when it cannot be."""
        number = _gid_number(entry.get("customFieldId"), FIELD_GID)
        project = self.state.projects[item.project_id]
        found = self.state.custom_fields.get(number) if number is not None else None
        if found is None or found not in self.state.group_custom_fields(project.path) or not found.active:
            return f"Custom field {entry.get('customFieldId')} not found for this work item"
        given = [key for key in ("selectedOptionIds", "numberValue", "textValue") if entry.get(key) is not None]
        if len(given) > 1:
            return "Only one of [selectedOptionIds, numberValue, textValue] arguments is allowed at the same time."
        if given and given[0] != {"NUMBER": "numberValue", "TEXT": "textValue"}.get(found.field_type):
            return f"Custom field {found.name} does not take {given[0]}"
        value = entry.get(given[0]) if given else None
        self.state.set_field_value(item, found, float(value) if isinstance(value, (int, float)) else value)
        return None
