"""`LinearSimulator`: a stateful Linear workspace over real HTTP (GraphQL), for tests and the sandbox.

    with LinearSimulator(token="lin_api_sim") as sim:
        sim.create_team("ENG")
        key = sim.create_issue("ENG", "Ship it", labels=["kr:ENG-1.1"])
        sim.set_state(key, "completed")        # team webhooks get a signed Issue update

What people do goes through the methods here (each change emits its webhook); what syncd does goes
through `POST /graphql`. `faults` injects 429s and 5xx; `requests` is the log of every request answered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from syncd.simulators.kit.fault_knobs import FaultKnobs
from syncd.simulators.kit.request_log import RequestLog
from syncd.simulators.kit.server import BackgroundServer, Served
from syncd.simulators.linear.app import LoggedRequest, SimulatorApp
from syncd.simulators.linear.hooks import Delivery, HookSender
from syncd.simulators.linear.resolvers import Resolvers
from syncd.simulators.linear.state import Attachment, Comment, Issue, Label, LinearState


class LinearSimulator(Served):
    """A simulated Linear workspace (see the module docstring)."""

    def __init__(
        self,
        *,
        token: str = "lin_api_sim_token",  # noqa: S107 - the simulator's fake credential
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        requests_limit: int = 5_000,
        complexity_limit: int = 3_000_000,
    ) -> None:
        self.state = LinearState(clock=clock)
        self.url = ""
        self.faults = FaultKnobs(path_syntax="glob", server_error_status=503)
        self._log: RequestLog[LoggedRequest] = RequestLog()
        self.tokens = {token}
        self.resolvers = Resolvers(self.state, lambda: self.url)
        self.app = SimulatorApp(self.resolvers, self.faults, self._log, self.tokens,
                                requests_limit=requests_limit, complexity_limit=complexity_limit)  # fmt: skip
        self._server = BackgroundServer(self.app.starlette())
        self.hooks = HookSender(self.state, lambda: self.url)
        self.state.listeners.append(self.hooks)

    def accept_token(self, token: str) -> None:
        """Also accept `token` (e.g. one generated after construction)."""
        self.tokens.add(token)

    def start(self) -> str:
        """Serve; returns the API root (a source's `base_url`; GraphQL at `/graphql`)."""
        self.url = self._server.start()
        self.hooks.start()
        return self.url

    def stop(self) -> None:
        """Stop serving and delivering."""
        self.hooks.stop()
        self._server.stop()

    @property
    def requests(self) -> list[LoggedRequest]:
        """Every GraphQL request answered so far."""
        return self._log.entries()

    def clear_requests(self) -> None:
        """Forget the request log."""
        self._log.clear()

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook delivery sent so far."""
        return list(self.hooks.deliveries)

    def wait_for_deliveries(self, timeout: float = 10.0) -> bool:
        """Block until every queued delivery was answered."""
        return self.hooks.wait(timeout)

    # -- what admins and people do -----------------------------------------------------------------
    def create_team(self, key: str, name: str | None = None) -> str:
        """A team with Linear's default workflow states; its id."""
        return self.state.create_team(key, name).id

    def label(self, name: str, team: str | None = None) -> Label:
        """The team's (or the workspace's) label `name`, created in the team when missing."""
        team_id = self.state.team(team).id if team else None
        try:
            return self.state.label_named(name, team_id)
        except LookupError:
            return self.state.create_label(name, team=team)

    def grouped_label(self, group: str, child: str, team: str | None = None) -> Label:
        """The child `child` of label group `group` (both created when missing)."""
        with self.state.lock:
            for label in self.state.labels.values():
                parent = self.state.labels.get(label.parent_id or "")
                if label.name == child and parent is not None and parent.name == group:
                    return label
        return self.state.create_label(child, team=team, group=group)

    def create_issue(self, team: str, title: str, *, labels: Sequence[str] = (), state_type: str = "unstarted",
                     estimate: float | None = None, emit: bool = True) -> str:  # fmt: skip
        """A new issue with labels (made when missing); its identifier."""
        ids = [self.label(name, team).id for name in labels]
        return self.state.create_issue(team, title, label_ids=ids, state_type=state_type, estimate=estimate,
                                       emit=emit).identifier  # fmt: skip

    def set_state(self, identifier: str, state_type: str) -> None:
        """Move an issue to its team's state of type `state_type` (`started`, `completed`, `canceled`, ...)."""
        self.state.set_state(identifier, state_type)

    def add_label(self, identifier: str, name: str) -> None:
        """Put a label on an issue (made when missing)."""
        issue = self.state.issue(identifier)
        label = self.label(name, issue.team_key)
        if label.id not in issue.label_ids:
            self.state.set_labels(identifier, [*issue.label_ids, label.id])

    def add_grouped_label(self, identifier: str, group: str, child: str) -> None:
        """Put the child `child` of label group `group` on an issue (one child per group, as Linear allows)."""
        issue = self.state.issue(identifier)
        label = self.grouped_label(group, child, issue.team_key)
        siblings = {other.id for other in self.state.labels.values() if other.parent_id == label.parent_id}
        self.state.set_labels(identifier, [i for i in issue.label_ids if i not in siblings] + [label.id])

    def remove_label(self, identifier: str, name: str) -> None:
        """Take a label off an issue."""
        issue = self.state.issue(identifier)
        kept = [i for i in issue.label_ids if self.state.labels[i].name.casefold() != name.casefold()]
        self.state.set_labels(identifier, kept)

    def rename_label(self, old: str, new: str) -> None:
        """Rename a label everywhere."""
        with self.state.lock:
            found = [label for label in self.state.labels.values() if label.name == old]
        for label in found:
            self.state.rename_label(label.id, new)

    def set_estimate(self, identifier: str, estimate: float | None) -> None:
        """Set an issue's estimate (points)."""
        self.state.set_estimate(identifier, estimate)

    def move_issue(self, identifier: str, team: str) -> str:
        """Move an issue to another team; its new identifier."""
        return self.state.move(identifier, team).identifier

    def archive_issue(self, identifier: str) -> None:
        """Archive an issue."""
        self.state.archive(identifier)

    def trash_issue(self, identifier: str) -> None:
        """Delete an issue as people do (to the trash)."""
        self.state.trash(identifier)

    def delete_comment(self, comment_id: str) -> None:
        """Delete a comment as a person does."""
        self.state.delete_comment(comment_id)

    # -- what syncd wrote --------------------------------------------------------------------------
    def issue(self, identifier: str) -> Issue:
        """An issue by identifier (or one it had before a move) or id."""
        return self.state.issue(identifier)

    def comments(self, identifier: str) -> list[Comment]:
        """An issue's live comments, oldest first."""
        return self.state.issue_comments(self.state.issue(identifier))

    def attachments(self, identifier: str) -> list[Attachment]:
        """An issue's attachments."""
        return self.state.issue_attachments(self.state.issue(identifier))
