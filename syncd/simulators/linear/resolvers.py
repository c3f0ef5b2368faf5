"""The simulated workspace answered through GraphQL: the root values graphql-core resolves documents against.

Every object is a plain dict built from the state when it is reached; fields with arguments (connections)
are callables `(info, **arguments)`, which graphql-core's default resolver calls. Failures are
`GraphQLError`s carrying Linear's `extensions.code` (`INVALID_INPUT` for an entity not found or an id
already taken, `FORBIDDEN`), so clients read them as they read Linear's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

from syncd.simulators.kit.paging import PageTokenError, cursor_page
from syncd.simulators.linear.state import Comment, Hook, Issue, Label, LinearState, NoSuchThing, Taken, Team, iso

Node = dict[str, Any]
Info = GraphQLResolveInfo[Any]
Args = Any


def linear_error(message: str, code: str = "INVALID_INPUT") -> GraphQLError:
    """An error as Linear words it (`extensions.code`, `type`, `userPresentableMessage`)."""
    return GraphQLError(message, extensions={"code": code, "type": code.lower().replace("_", " "),
                                             "userPresentableMessage": message})  # fmt: skip


def connection(items: Sequence[Any], render: Callable[[Any], Node], arguments: dict[str, Any]) -> Node:
    """A Relay connection page of `items` (`first`, `after`), each rendered."""
    try:
        page = cursor_page(list(items), first=arguments.get("first") or 50, after=arguments.get("after"))
    except (PageTokenError, ValueError) as error:
        raise linear_error(f"Argument Validation Error: {error}") from None
    return {"nodes": [render(item) for item in page.items], "pageInfo": page.page_info()}


def _matches_text(comparator: dict[str, Any] | None, value: str | None) -> bool:
    if not comparator:
        return True
    if "eq" in comparator and comparator["eq"] is not None and value != comparator["eq"]:
        return False
    return not ("in" in comparator and comparator["in"] is not None and value not in comparator["in"])


def _moment(value: object) -> datetime:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise linear_error(f"Argument Validation Error: {str(value)[:60]!r} is not a DateTime") from None


class Resolvers:
    """The root objects of queries and mutations over one `LinearState`."""

    def __init__(self, state: LinearState, site: Callable[[], str]) -> None:
        self.state = state
        self.site = site

    # -- object rendering ------------------------------------------------------------------------
    def user(self) -> Node:
        """The API user (syncd's token)."""
        return {"id": self.state.viewer_id, "name": "syncd", "email": "syncd@acme.example", "isMe": True}

    def team(self, team: Team) -> Node:
        """A team with its states and labels."""
        state = self.state
        states = [s for s in state.states.values() if s.team_id == team.id]
        labels = [label for label in state.labels.values() if label.team_id == team.id]
        return {
            "id": team.id, "key": team.key, "name": team.name,
            "states": lambda info, **a: connection(states, self.workflow_state, a),
            "labels": lambda info, **a: connection(labels, self.label, a),
        }  # fmt: skip

    def workflow_state(self, found: Any) -> Node:
        """A workflow state."""
        return {"id": found.id, "name": found.name, "type": found.type,
                "team": lambda info, **a: self.team(self.state.team(found.team_id))}  # fmt: skip

    def label(self, label: Label) -> Node:
        """A label, its group, its children."""
        labels = self.state.labels
        children = [other for other in labels.values() if other.parent_id == label.id]
        return {
            "id": label.id, "name": label.name, "isGroup": label.is_group, "updatedAt": iso(label.updated),
            "parent": lambda info, **a: self.label(labels[label.parent_id]) if label.parent_id else None,
            "team": lambda info, **a: self.team(self.state.team(label.team_id)) if label.team_id else None,
            "children": lambda info, **a: connection(children, self.label, a),
        }  # fmt: skip

    def issue(self, issue: Issue) -> Node:
        """An issue with its state, team, labels, comments and attachments."""
        state = self.state
        labels = [state.labels[i] for i in issue.label_ids if i in state.labels]
        return {
            "id": issue.id, "identifier": issue.identifier, "number": float(issue.number), "title": issue.title,
            "url": f"{self.site()}/issue/{issue.identifier}", "createdAt": iso(issue.created),
            "updatedAt": iso(issue.updated), "archivedAt": iso(issue.archived) if issue.archived else None,
            "trashed": issue.trashed or None, "estimate": issue.estimate, "previousIdentifiers": list(issue.previous),
            "state": self.workflow_state(state.states[issue.state_id]),
            "team": lambda info, **a: self.team(state.team(issue.team_id)), "assignee": None,
            "labels": lambda info, **a: connection(labels, self.label, a),
            "comments": lambda info, **a: connection(state.issue_comments(issue), self.comment, a),
            "attachments": lambda info, **a: connection(state.issue_attachments(issue), self.attachment, a),
        }  # fmt: skip

    def comment(self, comment: Comment) -> Node:
        """A comment."""
        issue = self.state.issues[comment.issue_id]
        return {"id": comment.id, "body": comment.body, "createdAt": iso(comment.created),
                "updatedAt": iso(comment.updated), "url": f"{self.site()}/issue/{issue.identifier}#comment-{comment.id[:8]}",
                "issue": lambda info, **a: self.issue(issue), "user": self.user()}  # fmt: skip

    def attachment(self, found: Any) -> Node:
        """An attachment."""
        issue = self.state.issues[found.issue_id]
        return {"id": found.id, "url": found.url, "title": found.title, "subtitle": found.subtitle,
                "metadata": found.metadata, "createdAt": iso(found.created), "updatedAt": iso(found.updated),
                "issue": lambda info, **a: self.issue(issue)}  # fmt: skip

    def webhook(self, hook: Hook) -> Node:
        """A webhook (its secret is shown to admins, as Linear's API does)."""
        return {"id": hook.id, "url": hook.url, "enabled": hook.enabled, "label": hook.label,
                "resourceTypes": list(hook.resource_types), "secret": hook.secret,
                "allPublicTeams": hook.all_public_teams,
                "team": self.team(self.state.team(hook.team_id)) if hook.team_id else None}  # fmt: skip

    # -- roots -----------------------------------------------------------------------------------
    def query_root(self) -> Node:
        """What queries resolve against."""
        return {"viewer": lambda info: self.user(), "teams": self._teams, "issues": self._issues,
                "issue": self._issue, "issueLabels": self._labels, "workflowStates": self._states,
                "webhooks": self._webhooks}  # fmt: skip

    def mutation_root(self) -> Node:
        """What mutations resolve against."""
        return {"commentCreate": self._comment_create, "commentUpdate": self._comment_update,
                "attachmentCreate": self._attachment_create, "webhookCreate": self._webhook_create,
                "webhookUpdate": self._webhook_update}  # fmt: skip

    def _teams(self, info: Info, **arguments: Args) -> Node:
        wanted = (arguments.get("filter") or {}).get("key")
        with self.state.lock:
            teams = [t for t in self.state.teams.values() if _matches_text(wanted, t.key)]
            return connection(teams, self.team, arguments)

    def _issues(self, info: Info, **arguments: Args) -> Node:
        issue_filter = arguments.get("filter") or {}
        with self.state.lock:
            found = [i for i in self.state.live_issues() if self._keeps(i, issue_filter)]
            if not arguments.get("includeArchived"):
                found = [i for i in found if i.archived is None]
            if arguments.get("orderBy") == "updatedAt":  # newest change first, as Linear orders
                found.sort(key=lambda i: i.updated, reverse=True)
            else:
                found.sort(key=lambda i: i.created)
            return connection(found, self.issue, arguments)

    def _keeps(self, issue: Issue, issue_filter: dict[str, Any]) -> bool:
        team = issue_filter.get("team") or {}
        if not _matches_text(team.get("key"), issue.team_key) or not _matches_text(team.get("id"), issue.team_id):
            return False
        updated = issue_filter.get("updatedAt") or {}
        if "gte" in updated and issue.updated < _moment(updated["gte"]):
            return False
        if "gt" in updated and issue.updated <= _moment(updated["gt"]):
            return False
        if "lt" in updated and issue.updated >= _moment(updated["lt"]):
            return False
        if any(not self._keeps(issue, part) for part in issue_filter.get("and") or ()):
            return False
        parts = issue_filter.get("or")
        return not parts or any(self._keeps(issue, part) for part in parts)

    def _issue(self, info: Info, id: str) -> Node:
        with self.state.lock:
            return self.issue(self._find(id))

    def _find(self, id_or_identifier: str) -> Issue:
        try:
            return self.state.issue(id_or_identifier)
        except NoSuchThing as error:
            raise linear_error(str(error)) from None

    def _labels(self, info: Info, **arguments: Args) -> Node:
        with self.state.lock:
            return connection(list(self.state.labels.values()), self.label, arguments)

    def _states(self, info: Info, **arguments: Args) -> Node:
        with self.state.lock:
            return connection(list(self.state.states.values()), self.workflow_state, arguments)

    def _webhooks(self, info: Info, **arguments: Args) -> Node:
        with self.state.lock:
            return connection(list(self.state.hooks.values()), self.webhook, arguments)

    def _comment_create(self, info: Info, input: dict[str, Any]) -> Node:
        issue = self._find(str(input.get("issueId") or ""))
        try:
            comment = self.state.add_comment(issue, str(input.get("body") or ""), input.get("id"))
        except Taken as error:
            raise linear_error(str(error)) from None
        return {"success": True, "lastSyncId": float(next(self.state.sync_ids)), "comment": self.comment(comment)}

    def _comment_update(self, info: Info, id: str, input: dict[str, Any], **_: Args) -> Node:
        try:
            comment = self.state.edit_comment(id, str(input.get("body") or ""))
        except NoSuchThing as error:
            raise linear_error(str(error)) from None
        return {"success": True, "lastSyncId": float(next(self.state.sync_ids)), "comment": self.comment(comment)}

    def _attachment_create(self, info: Info, input: dict[str, Any]) -> Node:
        issue = self._find(str(input["issueId"]))
        made = self.state.upsert_attachment(issue, str(input["url"]), str(input["title"]), input.get("subtitle"),
                                            dict(input.get("metadata") or {}))  # fmt: skip
        return {"success": True, "lastSyncId": float(next(self.state.sync_ids)), "attachment": self.attachment(made)}

    def _webhook_create(self, info: Info, input: dict[str, Any]) -> Node:
        team_id = input.get("teamId")
        if team_id is not None:
            try:
                team_id = self.state.team(str(team_id)).id
            except NoSuchThing as error:
                raise linear_error(str(error)) from None
        elif not input.get("allPublicTeams"):
            raise linear_error("Argument Validation Error: a webhook needs teamId or allPublicTeams")
        hook = self.state.add_hook(str(input["url"]), list(input["resourceTypes"]), team_id, input.get("secret"),
                                   label=input.get("label"), enabled=input.get("enabled", True) is not False,
                                   all_public_teams=bool(input.get("allPublicTeams")))  # fmt: skip
        return {"success": True, "lastSyncId": float(next(self.state.sync_ids)), "webhook": self.webhook(hook)}

    def _webhook_update(self, info: Info, id: str, input: dict[str, Any]) -> Node:
        with self.state.lock:
            hook = self.state.hooks.get(id)
            if hook is None:
                raise linear_error("Entity not found: Webhook")
            for key, attribute in (("url", "url"), ("secret", "secret"), ("label", "label"), ("enabled", "enabled"),
                                   ("resourceTypes", "resource_types")):  # fmt: skip
                if input.get(key) is not None:
                    setattr(hook, attribute, input[key])
            return {"success": True, "lastSyncId": float(next(self.state.sync_ids)), "webhook": self.webhook(hook)}
