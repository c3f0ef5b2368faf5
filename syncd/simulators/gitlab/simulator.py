"""`GitLabSimulator`: a stateful GitLab instance over real HTTP, for tests and the sandbox.

    with GitLabSimulator(token="t") as sim:
        sim.create_project("acme/web")
        ref = sim.create_issue("acme/web", "Ship it", labels=["kr:ENG-1.1"])   # "acme/web#1"
        sim.close(ref)                       # project hooks get an Issue Hook

What people do goes through the methods here (each change emits its hook); what syncd does goes through the
REST API (`syncd.simulators.gitlab.routes`), spoken to by python-gitlab, and through GraphQL
(`syncd.simulators.gitlab.graphql`: custom fields, `workItemUpdate`). `faults` injects 429s and 5xx;
`requests` is the log of every REST request answered, `graphql_requests` of every GraphQL one; note creations
are limited to `notes_per_minute`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from syncd.simulators.gitlab.app import LoggedRequest, SimulatorApp
from syncd.simulators.gitlab.graphql import GraphQLRequest
from syncd.simulators.gitlab.hooks import Delivery, HookSender
from syncd.simulators.gitlab.routes import GitLabApi, Instance
from syncd.simulators.gitlab.state import CustomField, GitLabState, Hook, Item, Note, Project
from syncd.simulators.kit.fault_knobs import FaultKnobs
from syncd.simulators.kit.rate_window import SlidingWindow
from syncd.simulators.kit.request_log import RequestLog
from syncd.simulators.kit.server import BackgroundServer, Served

__all__ = ["GitLabSimulator"]
_REFERENCE = re.compile(r"^(?P<project>.+?)(?P<sep>[#!])(?P<iid>\d+)$")
#: gitlab.com's limit on note creations per user and minute.
NOTES_PER_MINUTE = 60


class GitLabSimulator(Served):
    """A simulated GitLab instance (see the module docstring). Items are named by their reference."""

    def __init__(
        self,
        *,
        token: str = "sim-gitlab-token",  # noqa: S107 - the simulator's fake credential
        notes_per_minute: int | None = NOTES_PER_MINUTE,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.state = GitLabState(clock=clock)
        self.instance = Instance()
        self.faults = FaultKnobs(path_syntax="glob", server_error_status=502, clock=monotonic)
        self._log: RequestLog[LoggedRequest] = RequestLog()
        self.tokens = {token}
        self.api = GitLabApi(self.state, self.instance)
        limit = SlidingWindow(notes_per_minute, 60.0) if notes_per_minute else None
        self._app = SimulatorApp(self.api, self.faults, self._log, self.tokens, clock=monotonic, note_limit=limit)
        self._server = BackgroundServer(self._app.starlette())
        self._root = [self.instance.url]
        self.hooks = HookSender(self.state, self._root)
        self.state.listeners.append(self.hooks)

    def limit_note_creations(self, per_minute: int | None, clock: Callable[[], float] | None = None) -> None:
        """Answer note creations beyond `per_minute` in any minute of `clock` (seconds) 429 (None: no limit)."""
        self._app.note_limit = SlidingWindow(per_minute, 60.0) if per_minute else None
        if clock is not None:
            self._app.note_clock = clock

    def accept_token(self, token: str) -> None:
        """Also accept `token` (e.g. one generated after construction)."""
        self.tokens.add(token)

    def start(self) -> str:
        """Serve; returns the instance URL (a source's `base_url`)."""
        self.instance.url = self._root[0] = self._server.start()
        self.hooks.start()
        return self.instance.url

    def stop(self) -> None:
        """Stop serving and delivering."""
        self.hooks.stop()
        self._server.stop()

    @property
    def url(self) -> str:
        """The instance URL."""
        return self.instance.url

    @property
    def requests(self) -> list[LoggedRequest]:
        """Every API request answered so far."""
        return self._log.entries()

    @property
    def graphql_requests(self) -> list[GraphQLRequest]:
        """Every GraphQL request answered so far."""
        return self._app.graphql_log.entries()

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook delivery sent so far."""
        return list(self.hooks.deliveries)

    def wait_for_deliveries(self, timeout: float = 10.0) -> bool:
        """Block until every queued delivery was answered."""
        return self.hooks.wait(timeout)

    # -- what people do ----------------------------------------------------------------------------
    def create_project(self, path: str) -> Project:
        """A project at a full path."""
        return self.state.create_project(path)

    def create_issue(self, project: str, title: str, *, labels: Sequence[str] = (), confidential: bool = False,
                     emit: bool = True) -> str:  # fmt: skip
        """A new open issue; its reference (`acme/web#1`)."""
        item = self.state.create_item(
            project, "issue", title, labels=list(labels), confidential=confidential, emit=emit
        )
        return self.reference(item)

    def create_merge_request(self, project: str, title: str, *, labels: Sequence[str] = (), draft: bool = False) -> str:
        """A new open merge request; its reference (`acme/web!1`)."""
        return self.reference(self.state.create_item(project, "merge_request", title, labels=list(labels), draft=draft))

    def close(self, ref: str, *, duplicate_of: str | None = None, emit: bool = True) -> None:
        """Close an issue or merge request (an issue may be closed as a duplicate of another issue)."""
        original = self.item(duplicate_of) if duplicate_of else None
        self.state.close(self.item(ref), duplicate_of=original, emit=emit)

    def reopen(self, ref: str) -> None:
        """Reopen an issue or merge request."""
        self.state.reopen(self.item(ref))

    def merge(self, ref: str) -> None:
        """Merge a merge request."""
        self.state.merge(self.item(ref))

    def set_draft(self, ref: str, draft: bool) -> None:
        """Mark a merge request draft (or ready)."""
        self.state.set_draft(self.item(ref), draft)

    def set_labels(self, ref: str, labels: Sequence[str], *, emit: bool = True) -> None:
        """Replace an item's labels."""
        self.state.set_labels(self.item(ref), list(labels), emit=emit)

    def add_label(self, ref: str, label: str) -> None:
        """Put a label on an item."""
        labels = self.item(ref).labels
        if label not in labels:
            self.set_labels(ref, [*labels, label])

    def remove_label(self, ref: str, label: str) -> None:
        """Take a label off an item."""
        self.set_labels(ref, [name for name in self.item(ref).labels if name != label])

    def assign(self, ref: str, *usernames: str) -> None:
        """Assign an item."""
        self.state.assign(self.item(ref), list(usernames))

    def move_issue(self, ref: str, project: str) -> str:
        """Move an issue to another project; the new issue's reference."""
        return self.reference(self.state.move(self.item(ref), project))

    def delete_issue(self, ref: str) -> None:
        """Delete an issue (no hook, as in GitLab)."""
        self.state.delete(self.item(ref))

    def comment(self, ref: str, body: str, author: str = "alice") -> Note:
        """A person's note."""
        return self.state.add_note(self.item(ref), body, author)

    def create_custom_field(self, group: str, name: str, field_type: str = "NUMBER", *, active: bool = True) -> str:
        """A custom field of a top-level group (Premium); its global id (`gid://gitlab/Issuables::CustomField/N`)."""
        made = self.state.add_custom_field(group, name, field_type, active=active)
        return f"gid://gitlab/Issuables::CustomField/{made.id}"

    def set_weight(self, ref: str, weight: int | None) -> None:
        """Set an issue's weight (the team's planning data, which syncd never writes)."""
        self.state.change(self.item(ref), "update", lambda item: _weighed(item, weight))

    # -- what syncd wrote --------------------------------------------------------------------------
    def field_value(self, ref: str, name: str) -> float | str | None:
        """The value of the custom field `name` (of the issue's top-level group) on an issue, or None."""
        item = self.item(ref)
        fields = self.state.group_custom_fields(self.state.projects[item.project_id].path)
        found: CustomField | None = next((f for f in fields if f.name == name), None)
        return None if found is None else self.state.field_values.get((item.id, found.id))

    def item(self, ref: str) -> Item:
        """A live issue or merge request by reference."""
        found = _REFERENCE.match(ref)
        if found is None:
            raise LookupError(f"{ref!r} is not a reference (group/project#iid or !iid)")
        project = self.state.project(found["project"])
        return self.state.item(project, "issue" if found["sep"] == "#" else "merge_request", int(found["iid"]))

    def reference(self, item: Item) -> str:
        """`acme/web#1` or `acme/web!1`."""
        return f"{self.state.projects[item.project_id].path}{'#' if item.kind == 'issue' else '!'}{item.iid}"

    def notes(self, ref: str) -> list[Note]:
        """An item's notes, oldest first."""
        return self.state.item_notes(self.item(ref))

    def project_hooks(self, path: str) -> list[Hook]:
        """A project's hooks."""
        project = self.state.project(path)
        return [hook for hook in self.state.hooks.values() if hook.project_id == project.id]


def _weighed(item: Item, weight: int | None) -> dict[str, object]:
    previous, item.weight = item.weight, weight
    return {"weight": {"previous": previous, "current": weight}}
