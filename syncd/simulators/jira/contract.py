"""The Jira simulator as the contract suite drives it (`syncd.simulators.contract.SimulatedTracker`).

Cloud by default (email + API token); `data_center_tracker` drives a Data Center site instead (a personal
access token, REST v2, wiki-markup comments). A thin driver over `JiraSimulator`: the source follows project `ENG`; "in progress" is status category
`indeterminate`, "done" a transition to Done (resolution Done), "dropped" to Done with resolution Won't Do,
"moved away" a move to project `ELSE`. The progress field is the number field `customfield_10050`, which
syncd writes 0-100: `field_value` reads it back as the fraction the suite compares.
"""

from __future__ import annotations

import json
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
from syncd.simulators.jira.hooks import SIGNER
from syncd.simulators.jira.render import body_text
from syncd.simulators.jira.routes import CLOUD, DATA_CENTER
from syncd.simulators.jira.simulator import JiraSimulator
from syncd.simulators.kit.fault_knobs import FaultKnobs

PROJECT = "ENG"
ELSEWHERE = "ELSE"
EMAIL = "syncd-contract@acme.example"
TOKEN = "sim-jira-token-contract-0123456789"  # noqa: S105 - the simulator's fake credential
WEBHOOK_SECRET = "sim-jira-webhook-secret-contract"  # noqa: S105 - the simulator's fake credential
PROGRESS_FIELD = "customfield_10050"
PERSONAL_ACCESS_TOKEN = "sim-jira-pat-contract-0123456789"  # noqa: S105 - the simulator's fake credential
#: Issues per search page as syncd's client asks for them.
PAGE_SIZE = 100
_STATES: dict[str, tuple[str, str | None]] = {
    "open": ("new", None),
    "in_progress": ("indeterminate", None),
    "done": ("done", "Done"),
    "dropped": ("done", "Won't Do"),
}


class JiraContractTracker(KnobFaults):
    """`SimulatedTracker` over a `JiraSimulator`."""

    kind = "jira"
    page_size = PAGE_SIZE

    def __init__(self, deployment: str = CLOUD) -> None:
        self.cloud = deployment == CLOUD
        pat = None if self.cloud else PERSONAL_ACCESS_TOKEN
        self.sim = JiraSimulator(email=EMAIL, token=TOKEN, personal_access_token=pat, deployment=deployment)

    def start(self) -> str:
        """Serve, with projects ENG and ELSE; returns the site URL."""
        url = self.sim.start()
        self.sim.create_project(PROJECT)
        self.sim.create_project(ELSEWHERE)
        return url

    def stop(self) -> None:
        """Stop serving and delivering."""
        self.sim.stop()

    def next_moment(self) -> None:
        """Nothing to wait for: the site stamps every change a millisecond or more after the one before."""

    def unsupported(self, feature: Feature) -> str | None:
        """Jira labels are free text on each issue: there is no label object to rename."""
        if feature == "label_rename":
            return "labels are free text on each issue; there is no label to rename"
        return None

    def source_config(self, name: str, *, field_write: bool = False) -> dict[str, Any]:
        """A `kind: jira` source on project ENG, with a signed admin webhook, the progress field when asked
        (Cloud: email and API token; Data Center: a personal access token, no email)."""
        entry: dict[str, Any] = {
            "name": name,
            "kind": "jira",
            "base_url": self.sim.url,
            "token": TOKEN if self.cloud else PERSONAL_ACCESS_TOKEN,
            "projects": [PROJECT],
            "webhook_secret": WEBHOOK_SECRET,
        }
        if self.cloud:
            entry["email"] = EMAIL
        if field_write:
            entry["progress_field"] = PROGRESS_FIELD
        return entry

    # -- what people do ---------------------------------------------------------------------------
    def create_task(self, title: str, *, labels: Sequence[str] = (), state: ContractState = "open") -> ContractTask:
        """An issue of ENG, then moved to `state`."""
        task = ContractTask(self.sim.create_issue(PROJECT, title, labels=labels))
        if state != "open":
            self.set_state(task, state)
        return task

    def seed_tasks(self, count: int, *, labels: Sequence[str] = ()) -> list[ContractTask]:
        """`count` open issues, without webhooks."""
        return [
            ContractTask(self.sim.create_issue(PROJECT, f"Task {i}", labels=labels, emit=False)) for i in range(count)
        ]

    def set_state(self, task: ContractTask, state: ContractState) -> None:
        """Transition, delete, or move to ELSE."""
        if state == "deleted":
            self.sim.delete_issue(task.external_id)
        elif state == "moved_away":
            self.sim.move_issue(task.external_id, ELSEWHERE)
        else:
            category, resolution = _STATES[state]
            self.sim.transition(task.external_id, category, resolution)

    def add_label(self, task: ContractTask, label: str) -> None:
        """Label the issue."""
        self.sim.add_label(task.external_id, label)

    def remove_label(self, task: ContractTask, label: str) -> None:
        """Unlabel the issue."""
        self.sim.remove_label(task.external_id, label)

    def rename_label(self, old: str, new: str) -> None:
        """Jira has no label objects (see `unsupported`)."""
        raise NotImplementedError("Jira labels cannot be renamed")

    # -- what syncd wrote -------------------------------------------------------------------------
    def comments(self, task: ContractTask) -> list[TrackerComment]:
        """The issue's comments as people read them (ADF or wiki markup reduced to its text)."""
        return [TrackerComment(c.id, body_text(c.body)) for c in self.sim.comments(task.external_id)]

    def field_value(self, task: ContractTask) -> float | str | None:
        """The progress field as a fraction (syncd writes 0-100)."""
        value = self.sim.issue(task.external_id).fields.get(PROGRESS_FIELD)
        return None if value is None else float(value) / 100

    # -- faults and the request log ---------------------------------------------------------------
    @property
    def knobs(self) -> FaultKnobs:
        """The simulator's fault knobs (throttle, fail and clear_faults come from `KnobFaults`)."""
        return self.sim.faults

    def requests(self) -> list[TrackerRequest]:
        """Every API request answered."""
        return [TrackerRequest(r.at, r.method, r.path, r.status) for r in self.sim.requests]

    def listing_requests(self) -> int:
        """Pages of a full listing of ENG (a search without an `updated` bound)."""
        return sum(
            1
            for r in self.sim.requests
            if r.method == "POST"
            and r.path == self.sim.site.search_path
            and isinstance(r.body, dict)
            and "updated >=" not in str(r.body.get("jql"))
        )

    # -- webhooks ---------------------------------------------------------------------------------
    def flush_webhooks(self) -> None:
        """Wait until the sender's queue is empty."""
        if not self.sim.wait_for_deliveries():
            raise TimeoutError("the Jira simulator did not finish sending webhooks")

    def deliveries(self) -> list[SentDelivery]:
        """Deliveries to the site's admin webhooks (what syncd's `webhooks install` registered)."""
        return [
            SentDelivery(d.url, {k.lower(): v for k, v in d.headers.items()}, d.body, d.status)
            for d in self.sim.deliveries
            if not d.dropped
        ]

    def unknown_delivery(self) -> WebhookRequest:
        """A signed `jira:version_released` delivery, which syncd does not use, to the admin webhook."""
        hooks = list(self.sim.state.hooks.values())
        if not hooks:
            raise RuntimeError("the site has no admin webhook; install syncd's webhooks first")
        raw = json.dumps({"timestamp": 1, "webhookEvent": "jira:version_released", "version": {"id": "10000"}}).encode()
        headers = {"content-type": "application/json", "x-atlassian-webhook-identifier": "unknown-1"}
        headers |= {k.lower(): v for k, v in SIGNER(hooks[0].secret or "", raw).items()}
        return WebhookRequest(hooks[0].url, headers, raw)


def contract_tracker() -> SimulatedTracker:
    """The factory the Jira descriptor names as its `contract_simulator`."""
    return JiraContractTracker()


def data_center_tracker() -> SimulatedTracker:
    """The same driver over a Data Center site (REST v2, a personal access token, wiki-markup comments)."""
    return JiraContractTracker(DATA_CENTER)
