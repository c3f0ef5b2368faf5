"""`JiraSimulator`: a stateful Jira site over real HTTP, for tests and the sandbox; Cloud by default, or a
Data Center / Server (`deployment="DataCenter"`: REST v2, `startAt` search, wiki-markup comments).

    with JiraSimulator(email="bot@acme.example", token="t") as sim:
        sim.create_project("ENG")
        key = sim.create_issue("ENG", "Ship it", labels=["kr:ENG-1.1"])
        sim.transition(key, "done", "Done")        # admin webhooks get a signed jira:issue_updated

What people do goes through the methods here (each change emits its webhook); what syncd does goes
through the REST API (`syncd.simulators.jira.routes`). `faults` injects 429s and 5xx; `requests` is the
log of every API request answered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from syncd.simulators.jira.app import LoggedRequest, SimulatorApp
from syncd.simulators.jira.hooks import Delivery, HookSender
from syncd.simulators.jira.render import ACCOUNT_ID
from syncd.simulators.jira.routes import CLOUD, JiraApi, Site
from syncd.simulators.jira.state import Comment, Issue, JiraState
from syncd.simulators.kit.fault_knobs import FaultKnobs
from syncd.simulators.kit.request_log import RequestLog
from syncd.simulators.kit.server import BackgroundServer, Served

__all__ = ["ACCOUNT_ID", "JiraSimulator"]


class JiraSimulator(Served):
    """A simulated Jira site (see the module docstring)."""

    def __init__(
        self,
        *,
        email: str = "syncd@acme.example",
        token: str = "sim-jira-token",  # noqa: S107 - the simulator's fake credential
        personal_access_token: str | None = None,
        time_zone: str = "America/Los_Angeles",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        deployment: str = CLOUD,
    ) -> None:
        self.state = JiraState(clock=clock)
        self.site = Site(email=email, time_zone=time_zone, deployment=deployment)
        self.faults = FaultKnobs(path_syntax="glob", server_error_status=503)
        self._log: RequestLog[LoggedRequest] = RequestLog()
        #: What the API accepts: `email:token` pairs (HTTP basic) and personal access tokens (Bearer).
        self.credentials = {f"{email}:{token}"} | ({personal_access_token} if personal_access_token else set())
        self.api = JiraApi(self.state, self.site)
        self._server = BackgroundServer(SimulatorApp(self.api, self.faults, self._log, self.credentials).starlette())
        self.hooks = HookSender(self.site, self.state.hooks)
        self.state.listeners.append(self.hooks)

    def accept_token(self, email: str, token: str) -> None:
        """Also accept `email` with API token `token` (HTTP basic), e.g. a token generated after construction."""
        self.credentials.add(f"{email}:{token}")

    def start(self) -> str:
        """Serve; returns the site URL (a source's `base_url`)."""
        self.site.url = self._server.start()
        self.hooks.start()
        return self.site.url

    def stop(self) -> None:
        """Stop serving and delivering."""
        self.hooks.stop()
        self._server.stop()

    @property
    def url(self) -> str:
        """The site URL."""
        return self.site.url

    @property
    def requests(self) -> list[LoggedRequest]:
        """Every API request answered so far."""
        return self._log.entries()

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook delivery sent so far."""
        return list(self.hooks.deliveries)

    def wait_for_deliveries(self, timeout: float = 10.0) -> bool:
        """Block until every queued delivery was answered."""
        return self.hooks.wait(timeout)

    # -- what people do ----------------------------------------------------------------------------
    def create_project(self, key: str) -> None:
        """A project."""
        self.state.create_project(key)

    def create_issue(
        self,
        project: str,
        summary: str,
        *,
        labels: Sequence[str] = (),
        fields: dict[str, Any] | None = None,
        emit: bool = True,
    ) -> str:
        """A new open issue; its key."""
        return self.state.create_issue(project, summary, labels=list(labels), fields=fields, emit=emit).key

    def transition(self, key: str, category: str, resolution: str | None = None) -> None:
        """Move an issue to status category `new`, `indeterminate` or `done` (with `resolution`)."""
        self.state.transition(key, category, resolution)

    def add_label(self, key: str, label: str) -> None:
        """Put a label on an issue."""
        labels = self.state.issue(key).labels
        if label not in labels:
            self.state.set_labels(key, [*labels, label])

    def remove_label(self, key: str, label: str) -> None:
        """Take a label off an issue."""
        self.state.set_labels(key, [name for name in self.state.issue(key).labels if name != label])

    def set_field(self, key: str, field_id: str, value: Any) -> None:
        """Set a custom field as a person would."""
        self.state.set_fields(key, {field_id: value})

    def move_issue(self, key: str, project: str) -> str:
        """Move an issue to another project; its new key."""
        return self.state.move(key, project).key

    def delete_issue(self, key: str) -> None:
        """Delete an issue."""
        self.state.delete_issue(key)

    # -- what syncd wrote --------------------------------------------------------------------------
    def issue(self, key: str) -> Issue:
        """A live issue by key (or a key it had before a move)."""
        return self.state.issue(key)

    def comments(self, key: str) -> list[Comment]:
        """An issue's comments, oldest first."""
        return self.state.issue_comments(self.state.issue(key))
