"""The GitHub simulator as the contract suite drives it (`syncd.simulators.contract.SimulatedTracker`).

A thin driver over `GitHubSimulator`: the source follows `acme/web`; "in progress" is the `in progress`
label, "dropped" a close as `not_planned`, "moved away" a transfer to `acme/elsewhere`; progress fields
are a Projects v2 number field every new issue is added to.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from syncd.simulators.contract import (
    ContractState,
    ContractTask,
    Feature,
    KnobFaults,
    SentDelivery,
    SimulatedTracker,
    TrackerComment,
    TrackerRequest,
    WebhookRequest,
)
from syncd.simulators.github.simulator import GitHubSimulator
from syncd.simulators.github.state import whole_seconds_now
from syncd.simulators.github.webhooks import sign
from syncd.simulators.kit.fault_knobs import FaultKnobs

REPO = "acme/web"
ELSEWHERE = "acme/elsewhere"
TOKEN = "sim-token-contract-0123456789"  # noqa: S105 - the simulator's fake credential
WEBHOOK_SECRET = "sim-webhook-secret-contract"  # noqa: S105 - the simulator's fake credential
IN_PROGRESS = "in progress"
FIELD = "KR progress"
#: PyGithub's page size as syncd's client sets it (`per_page=100`, GitHub's largest).
PAGE_SIZE = 100


class GitHubContractTracker(KnobFaults):
    """`SimulatedTracker` over a `GitHubSimulator` (no content-write limit: the suite paces nothing)."""

    kind = "github"
    page_size = PAGE_SIZE

    def __init__(self) -> None:
        self._ahead = timedelta(0)
        self.sim = GitHubSimulator(token=TOKEN, writes_per_minute=None, clock=self._clock)
        self._project: str | None = None

    def _clock(self) -> datetime:
        """GitHub's whole-second time, moved ahead a second by each `next_moment` (instead of waiting)."""
        return whole_seconds_now() + self._ahead

    def start(self) -> str:
        """Serve, with `acme/web` and `acme/elsewhere` created; returns the REST root."""
        url = self.sim.start()
        self.sim.create_repo(REPO)
        self.sim.create_repo(ELSEWHERE)
        return url

    def stop(self) -> None:
        """Stop serving and delivering."""
        self.sim.stop()

    def next_moment(self) -> None:
        """GitHub stamps `updated_at` in whole seconds: its clock moves on to the next one."""
        self._ahead += timedelta(seconds=1)

    def unsupported(self, feature: Feature) -> str | None:
        """GitHub expresses every feature of the suite."""
        return None

    def source_config(self, name: str, *, field_write: bool = False) -> dict[str, Any]:
        """A `kind: github` source on `acme/web`, signed webhooks, the Projects v2 field when `field_write`."""
        entry: dict[str, Any] = {
            "name": name,
            "kind": "github",
            "base_url": self.sim.api_url,
            "token": TOKEN,
            "webhook_secret": WEBHOOK_SECRET,
            "repos": [REPO],
            "in_progress_labels": [IN_PROGRESS],
        }
        if field_write:
            self._project = self._project or self.sim.create_project("OKRs", {FIELD: "NUMBER"})
            entry["project_field"] = {"project_id": self._project, "field": FIELD}
        return entry

    # -- what people do ---------------------------------------------------------------------------
    def create_task(self, title: str, *, labels: Sequence[str] = (), state: ContractState = "open") -> ContractTask:
        """An issue of `acme/web` (in the project when fields are written), then moved to `state`."""
        number = self.sim.create_issue(REPO, title, labels=labels)
        if self._project is not None:
            self.sim.add_to_project(self._project, REPO, number)
        task = _task(number)
        if state != "open":
            self.set_state(task, state)
        return task

    def seed_tasks(self, count: int, *, labels: Sequence[str] = ()) -> list[ContractTask]:
        """`count` open issues without webhooks."""
        first = len(self.sim.state.repo(REPO).issues) + 1
        self.sim.seed_issues(REPO, count, labels=labels)
        return [_task(number) for number in range(first, first + count)]

    def set_state(self, task: ContractTask, state: ContractState) -> None:
        """Reopen, label `in progress`, close (completed / not_planned), delete, or transfer away."""
        number = _number(task)
        issue = self.sim.issue(REPO, number)
        if state in ("open", "in_progress") and issue["state"] == "closed":
            self.sim.reopen_issue(REPO, number)
        labelled = any(label["name"] == IN_PROGRESS for label in issue["labels"])
        if state == "in_progress" and not labelled:
            self.sim.add_label(REPO, number, IN_PROGRESS)
        elif state == "open" and labelled:
            self.sim.remove_label(REPO, number, IN_PROGRESS)
        elif state in ("done", "dropped"):
            self.sim.close_issue(REPO, number, "completed" if state == "done" else "not_planned")
        elif state == "deleted":
            self.sim.delete_issue(REPO, number)
        elif state == "moved_away":
            self.sim.transfer_issue(REPO, number, ELSEWHERE)

    def add_label(self, task: ContractTask, label: str) -> None:
        """Label the issue."""
        self.sim.add_label(REPO, _number(task), label)

    def remove_label(self, task: ContractTask, label: str) -> None:
        """Unlabel the issue."""
        self.sim.remove_label(REPO, _number(task), label)

    def rename_label(self, old: str, new: str) -> None:
        """Rename the repository's label (GitHub sends `label.edited`)."""
        self.sim.rename_label(REPO, old, new)

    # -- what syncd wrote -------------------------------------------------------------------------
    def comments(self, task: ContractTask) -> list[TrackerComment]:
        """The issue's comments (Markdown bodies)."""
        return [TrackerComment(str(c.id), c.body) for c in self.sim.comments(REPO, _number(task))]

    def field_value(self, task: ContractTask) -> float | str | None:
        """The project item's progress field."""
        if self._project is None:
            raise RuntimeError("no progress field: build the source with source_config(field_write=True)")
        return self.sim.project_value(self._project, REPO, _number(task), FIELD)

    # -- faults and the request log ---------------------------------------------------------------
    @property
    def knobs(self) -> FaultKnobs:
        """The simulator's fault knobs (throttle, fail and clear_faults come from `KnobFaults`)."""
        return self.sim.faults

    def requests(self) -> list[TrackerRequest]:
        """REST and GraphQL requests (the simulator's own `/_sim` pages left out)."""
        return [TrackerRequest(r.at, r.method, r.path, r.status) for r in self.sim.requests if r.api != "sim"]

    def listing_requests(self) -> int:
        """Pages of `GET /repos/acme/web/issues` answered."""
        path = f"/repos/{REPO}/issues"
        return sum(1 for r in self.sim.requests if r.method == "GET" and r.path == path)

    # -- webhooks ---------------------------------------------------------------------------------
    def flush_webhooks(self) -> None:
        """Wait until the sender's queue is empty."""
        if not self.sim.wait_for_deliveries():
            raise TimeoutError("the GitHub simulator did not finish sending webhooks")

    def deliveries(self) -> list[SentDelivery]:
        """Deliveries to the repository's hooks (what syncd's `webhooks install` registered)."""
        hooks = {hook.url for hook in self.sim.hooks(REPO)}
        return [
            SentDelivery(d.url, {key.lower(): value for key, value in d.headers.items()}, d.body, d.status)
            for d in self.sim.deliveries
            if d.url in hooks and not d.dropped
        ]

    def unknown_delivery(self) -> WebhookRequest:
        """A signed `watch` (starred) event, which syncd does not use, to the repository's hook."""
        hooks = self.sim.hooks(REPO)
        if not hooks:
            raise RuntimeError(f"{REPO} has no webhook; install syncd's webhooks first")
        body = json.dumps({"action": "started", "repository": {"full_name": REPO}, "sender": {"login": "octocat"}})
        raw = body.encode()
        headers = {
            "content-type": "application/json",
            "x-github-event": "watch",
            "x-github-delivery": str(uuid.uuid4()),
            "x-hub-signature-256": sign(hooks[0].secret or "", raw),
        }
        return WebhookRequest(hooks[0].url, headers, raw)


def _task(number: int) -> ContractTask:
    return ContractTask(f"{REPO}#{number}")


def _number(task: ContractTask) -> int:
    return int(task.external_id.rpartition("#")[2])


def contract_tracker() -> SimulatedTracker:
    """The factory the GitHub descriptor names as its `contract_simulator`."""
    return GitHubContractTracker()
