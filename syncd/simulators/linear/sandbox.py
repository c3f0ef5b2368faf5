"""Linear's part in `syncd sandbox` (`syncd.simulators.sandbox.SandboxTracker`) over a `LinearSimulator`.

Each team's items go to a Linear team of its own (`WEB`, `API`, `SALES`). States are workflow state types,
as Linear's board columns carry them: open is Todo (`unstarted`), in progress In Progress (`started`), done
Done (`completed`), dropped Canceled (`canceled`). Labels are team labels; a seeded `points:N` label becomes
the issue's estimate instead, as Linear teams estimate. syncd keeps a progress attachment on each linked issue
(`attachment: true`), whose `metadata.progress` is the progress field the sandbox compares. Linear has no
number fields by name, so number tasks go to other trackers (`holds_numbers` is False). The workspace stamps
milliseconds, and team webhooks are sent by the simulator's own thread as each change happens.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from syncd.simulators.linear.simulator import LinearSimulator
from syncd.simulators.linear.state import Issue, LinearState, iso
from syncd.simulators.sandbox import SandboxTracker, SeedCompany, SeedItem, SeedState

# Names of environment variables (the values are generated per run), not secrets themselves.
TOKEN_ENV = "SYNCD_SANDBOX_LINEAR_TOKEN"  # noqa: S105
SECRET_ENV = "SYNCD_SANDBOX_LINEAR_WEBHOOK_SECRET"  # noqa: S105
#: The seed's points label prefix (the config's default `points_prefix`).
POINTS_PREFIX = "points:"
#: The workflow state type of each state.
STATE_OF: Mapping[SeedState, str] = {"open": "unstarted", "in_progress": "started", "done": "completed",
                                     "dropped": "canceled"}  # fmt: skip


def issue_record(state: LinearState, issue: Issue, site: str) -> dict[str, Any]:
    """An issue as the GraphQL API serves syncd's `IssueFields` (what the adapter's normalizer reads)."""
    labels = [state.labels[i] for i in issue.label_ids if i in state.labels]
    nodes = [{"name": label.name, "parent": {"name": state.labels[label.parent_id].name} if label.parent_id else None}
             for label in labels]  # fmt: skip
    return {
        "id": issue.id, "identifier": issue.identifier, "title": issue.title,
        "url": f"{site}/issue/{issue.identifier}", "updatedAt": iso(issue.updated),
        "archivedAt": iso(issue.archived) if issue.archived else None, "trashed": issue.trashed or None,
        "estimate": issue.estimate, "previousIdentifiers": list(issue.previous),
        "state": {"type": state.states[issue.state_id].type}, "team": {"key": issue.team_key}, "assignee": None,
        "labels": {"nodes": nodes},
    }  # fmt: skip


class LinearSandboxTracker:
    """`SandboxTracker` over a `LinearSimulator` (see the module docstring)."""

    kind = "linear"
    title = "Linear"
    holds_numbers = False
    writes_progress_field = True

    def __init__(self) -> None:
        # A throwaway token until `start` adds the run's own.
        self.sim = LinearSimulator(token=f"lin_api_{secrets.token_hex(16)}")
        self.teams: tuple[str, ...] = ()
        self.items: dict[str, str] = {}

    def secret_names(self) -> tuple[str, ...]:
        """The API key and the team webhooks' signing secret."""
        return (TOKEN_ENV, SECRET_ENV)

    def start(self, credentials: Mapping[str, str]) -> str:
        """Serve, accepting the run's token; returns the API root (the source's `base_url`)."""
        self.sim.accept_token(credentials[TOKEN_ENV])
        return self.sim.start()

    def stop(self) -> None:
        """Stop serving and delivering."""
        self.sim.stop()

    def seed(self, company: SeedCompany, items: Sequence[SeedItem]) -> None:
        """A team per company team, then each item as an issue in its state (no webhook exists yet)."""
        self.teams = tuple(dict.fromkeys(item.team.upper() for item in items))
        for team in self.teams:
            self.sim.create_team(team)
        for item in items:
            identifier = self._create(item)
            self.items[item.key or f"#{identifier}"] = identifier

    def _create(self, item: SeedItem) -> str:
        labels = [label for label in item.labels if not label.startswith(POINTS_PREFIX)]
        points = [label.removeprefix(POINTS_PREFIX) for label in item.labels if label.startswith(POINTS_PREFIX)]
        return self.sim.create_issue(item.team.upper(), item.title, labels=labels, state_type=STATE_OF[item.state],
                                     estimate=float(points[0]) if points else None, emit=False)  # fmt: skip

    def after_seed(self) -> None:
        """Nothing: the workspace sends each webhook as the change happens."""

    def source_config(self, name: str, api_root: str, poll_interval: str) -> dict[str, Any]:
        """The teams, the API key, the signed team webhooks, the progress attachment, a short poll."""
        return {"name": name, "kind": "linear", "base_url": api_root, "token": f"${{{TOKEN_ENV}}}",
                "webhook_secret": f"${{{SECRET_ENV}}}", "teams": list(self.teams), "attachment": True,
                "poll_interval": poll_interval}  # fmt: skip

    def config_note(self) -> str:
        """Nothing differs but the poll interval."""
        return ""

    def web_root(self) -> str:
        """The workspace's root (GraphQL at `/graphql`); kept once stopped, for pages printed later."""
        return self.sim.url

    def story_keys(self) -> tuple[str, ...]:
        """The story keys it holds."""
        return tuple(key for key in self.items if not key.startswith("#"))

    def page(self, key: str | None = None) -> str:
        """The plain-text `/issue/KEY-N` page of an issue (add `?format=json` for JSON)."""
        identifier = self.items[key] if key is not None else next(iter(self.items.values()))
        return f"{self.web_root()}/issue/{identifier}"

    def external_id(self, key: str) -> str:
        """The issue identifier (`API-7`)."""
        return self.items[key]

    def settle(self, key: str) -> float:
        """The workspace stamps milliseconds, each change later than the last: no wait."""
        return 0.0

    def set_state(self, key: str, state: SeedState) -> None:
        """Move to the team's state of the matching type."""
        self.sim.set_state(self.items[key], STATE_OF[state])

    def add_label(self, key: str, label: str) -> None:
        """Label the issue."""
        self.sim.add_label(self.items[key], label)

    def remove_label(self, key: str, label: str) -> None:
        """Unlabel the issue."""
        self.sim.remove_label(self.items[key], label)

    def set_number(self, key: str, name: str, value: float) -> None:
        """Linear issues hold no number fields by name; the spread never asks for one."""
        raise ValueError(f"the sandbox's Linear issues hold no number field named {name!r}")

    def lose_next_webhook(self) -> None:
        """Drop the next delivery."""
        self.sim.hooks.drop_next(1)

    def lost_webhook(self) -> bool:
        """Whether a delivery was dropped."""
        return any(delivery.dropped for delivery in self.sim.deliveries)

    def task_records(self, source: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """The live issues of the source's teams, as the GraphQL API serves `IssueFields`."""
        teams = set(source["teams"])
        with self.sim.state.lock:
            live = [issue for issue in self.sim.state.live_issues() if issue.team_key in teams]
            return [issue_record(self.sim.state, issue, self.sim.url) for issue in live]

    def syncd_comments(self, external_id: str) -> list[str]:
        """syncd's progress comments on the issue (the API user's), Markdown as written."""
        viewer = self.sim.state.viewer_id
        return [comment.body for comment in self.sim.comments(external_id) if comment.user_id == viewer]

    def progress_field(self, external_id: str) -> float | None:
        """The progress attachment's fraction (`metadata.progress`), or None when there is none."""
        attachments = self.sim.attachments(external_id)
        value = attachments[-1].metadata.get("progress") if attachments else None
        return float(value) if isinstance(value, int | float) else None

    def idle(self) -> bool:
        """No delivery waits."""
        return self.sim.wait_for_deliveries(timeout=0)


def sandbox_tracker() -> SandboxTracker:
    """The factory `TrackerDescriptor.sandbox` names (typed as the protocol, so mypy holds the class to it)."""
    return LinearSandboxTracker()
