"""The GitLab simulator as the contract suite drives it (`syncd.simulators.contract.SimulatedTracker`).

A thin driver over `GitLabSimulator`: the source follows project `acme/web` with a token-and-signed project
hook; "in progress" is the label `doing`, "done" a close, "dropped" a close as a duplicate (of an unlabelled
issue), "moved away" a move to `acme/else`. GitLab sends no hook when an issue is deleted or a label renamed,
so those two reach syncd only by reconciliation: the driver declares them unsupported (the suite's versions
need a delivery). The progress field is the number custom field "KR progress" of the top-level group `acme`
(GitLab Premium), written through GraphQL `workItemUpdate` as 0-100.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Sequence
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
from syncd.simulators.gitlab.hooks import delivery_headers
from syncd.simulators.gitlab.simulator import GitLabSimulator
from syncd.simulators.kit.fault_knobs import FaultKnobs

PROJECT = "acme/web"
ELSEWHERE = "acme/else"
TOKEN = "sim-gitlab-token-contract-0123456789"  # noqa: S105 - the simulator's fake credential
WEBHOOK_SECRET = "sim-gitlab-webhook-secret-contract"  # noqa: S105 - the simulator's fake credential
SIGNING_TOKEN = "whsec_" + base64.b64encode(b"sim-gitlab-signing-key-contract!").decode()
IN_PROGRESS = "doing"
#: The number custom field of group acme a `field_write` source writes progress to.
FIELD = "KR progress"
#: Issues per list page as syncd's client asks for them.
PAGE_SIZE = 100
_UNSUPPORTED = {
    "deleted": "GitLab sends no hook when an issue is deleted; syncd's reconciliation removes it",
    "label_rename": "GitLab sends no project hook when a label is renamed; syncd's reconciliation relinks its issues",
}


class GitLabContractTracker(KnobFaults):
    """`SimulatedTracker` over a `GitLabSimulator`."""

    kind = "gitlab"
    page_size = PAGE_SIZE

    def __init__(self) -> None:
        self.sim = GitLabSimulator(token=TOKEN)
        self._original: str | None = None

    def start(self) -> str:
        """Serve, with projects acme/web and acme/else and group acme's number field; returns the instance URL."""
        url = self.sim.start()
        self.sim.create_project(PROJECT)
        self.sim.create_project(ELSEWHERE)
        self.sim.create_custom_field("acme", FIELD)
        return url

    def stop(self) -> None:
        """Stop serving and delivering."""
        self.sim.stop()

    def next_moment(self) -> None:
        """Nothing to wait for: the instance stamps every change a millisecond or more after the one before."""

    def unsupported(self, feature: Feature) -> str | None:
        """Deletions and label renames send no hook (see the module docstring)."""
        return _UNSUPPORTED.get(feature)

    def source_config(self, name: str, *, field_write: bool = False) -> dict[str, Any]:
        """A `kind: gitlab` source on acme/web, its hook with a secret token and a signing token (and with
        `field_write`, progress written to the custom field "KR progress")."""
        source: dict[str, Any] = {
            "name": name,
            "kind": "gitlab",
            "base_url": self.sim.url,
            "token": TOKEN,
            "projects": [PROJECT],
            "webhook_secret": WEBHOOK_SECRET,
            "webhook_signing_token": SIGNING_TOKEN,
        }
        return source | ({"progress_field": FIELD} if field_write else {})

    # -- what people do ---------------------------------------------------------------------------
    def create_task(self, title: str, *, labels: Sequence[str] = (), state: ContractState = "open") -> ContractTask:
        """An issue of acme/web, then moved to `state`."""
        task = ContractTask(self.sim.create_issue(PROJECT, title, labels=labels))
        if state != "open":
            self.set_state(task, state)
        return task

    def seed_tasks(self, count: int, *, labels: Sequence[str] = ()) -> list[ContractTask]:
        """`count` open issues, without hooks."""
        return [
            ContractTask(self.sim.create_issue(PROJECT, f"Task {i}", labels=labels, emit=False)) for i in range(count)
        ]

    def set_state(self, task: ContractTask, state: ContractState) -> None:
        """Label, close, close as a duplicate, reopen, or move to acme/else."""
        ref = task.external_id
        item = self.sim.item(ref)
        if state == "moved_away":
            self.sim.move_issue(ref, ELSEWHERE)
        elif state == "open":
            if IN_PROGRESS in item.labels:
                self.sim.remove_label(ref, IN_PROGRESS)
            if item.state != "opened":
                self.sim.reopen(ref)
        elif state == "in_progress":
            if item.state != "opened":
                self.sim.reopen(ref)
            self.sim.add_label(ref, IN_PROGRESS)
        elif state == "done":
            self.sim.close(ref)
        elif state == "dropped":
            self.sim.close(ref, duplicate_of=self._duplicate_target())
        else:
            raise NotImplementedError(_UNSUPPORTED.get(state, state))

    def _duplicate_target(self) -> str:
        if self._original is None:
            self._original = self.sim.create_issue(ELSEWHERE, "The original report", emit=False)
        return self._original

    def add_label(self, task: ContractTask, label: str) -> None:
        """Label the issue."""
        self.sim.add_label(task.external_id, label)

    def remove_label(self, task: ContractTask, label: str) -> None:
        """Unlabel the issue."""
        self.sim.remove_label(task.external_id, label)

    def rename_label(self, old: str, new: str) -> None:
        """Rename a label of acme/web (no hook: see `unsupported`)."""
        self.sim.state.rename_label(self.sim.state.project(PROJECT), old, new)

    # -- what syncd wrote -------------------------------------------------------------------------
    def comments(self, task: ContractTask) -> list[TrackerComment]:
        """The issue's notes (Markdown bodies)."""
        return [TrackerComment(str(n.id), n.body) for n in self.sim.notes(task.external_id)]

    def field_value(self, task: ContractTask) -> float | str | None:
        """The issue's "KR progress" as a fraction (syncd writes 0-100)."""
        value = self.sim.field_value(task.external_id, FIELD)
        return None if value is None else float(value) / 100

    # -- faults and the request log ---------------------------------------------------------------
    @property
    def knobs(self) -> FaultKnobs:
        """The simulator's fault knobs (throttle, fail and clear_faults come from `KnobFaults`)."""
        return self.sim.faults

    def requests(self) -> list[TrackerRequest]:
        """Every API request answered: REST, and GraphQL (path `/graphql`), in arrival order."""
        rest = [TrackerRequest(r.at, r.method, r.path, r.status) for r in self.sim.requests]
        graphql = [TrackerRequest(r.at, r.method, r.path, r.status) for r in self.sim.graphql_requests]
        return sorted(rest + graphql, key=lambda request: request.at)

    def listing_requests(self) -> int:
        """Pages of a full listing of acme/web's issues (`GET .../issues` without `updated_after`)."""
        path = "/projects/acme%2Fweb/issues"
        return sum(
            1 for r in self.sim.requests if r.method == "GET" and r.path == path and not r.param("updated_after")
        )

    # -- webhooks ---------------------------------------------------------------------------------
    def flush_webhooks(self) -> None:
        """Wait until the sender's queue is empty."""
        if not self.sim.wait_for_deliveries():
            raise TimeoutError("the GitLab simulator did not finish sending webhooks")

    def deliveries(self) -> list[SentDelivery]:
        """Deliveries to acme/web's hooks (what syncd's `webhooks install` registered)."""
        return [
            SentDelivery(d.url, {k.lower(): v for k, v in d.headers.items()}, d.body, d.status)
            for d in self.sim.deliveries
            if not d.dropped
        ]

    def unknown_delivery(self) -> WebhookRequest:
        """A token-authenticated and signed `Push Hook`, which syncd does not use, to acme/web's hook."""
        hooks = self.sim.project_hooks(PROJECT)
        if not hooks:
            raise RuntimeError(f"{PROJECT} has no hook; install syncd's webhooks first")
        hook = hooks[0]
        raw = json.dumps({"object_kind": "push", "event_name": "push", "ref": "refs/heads/main",
                          "project": {"path_with_namespace": PROJECT}}).encode()  # fmt: skip
        headers = delivery_headers("Push Hook", raw, token=hook.token, signing_token=hook.signing_token,
                                   instance=self.sim.url, now=time.time())  # fmt: skip
        return WebhookRequest(hook.url, {k.lower(): v for k, v in headers.items()}, raw)


def contract_tracker() -> SimulatedTracker:
    """The factory the GitLab descriptor names as its `contract_simulator`."""
    return GitLabContractTracker()
