"""Jira's part in `syncd sandbox` (`syncd.simulators.sandbox.SandboxTracker`) over a `JiraSimulator`.

Each team's items go to a project of its own (`WEB`, `API`, `SALES`). States are status categories, as
a board's columns map to them: open is To Do (`new`), in progress In Progress (`indeterminate`), done a
transition to Done with resolution Done, dropped to Done with resolution Won't Do. Labels are Jira labels;
a seeded `points:N` label becomes the issue's Story point estimate instead, as Jira teams estimate. syncd
writes each linked issue's progress, 0-100, to the number field "KR progress". Jira's number fields are
read by field id (`customfield_10016`), not by the names the company's metric KRs use, so number tasks go
to trackers that read fields by name (`holds_numbers` is False). The site stamps milliseconds, and admin
webhooks are sent by the simulator's own thread as each change happens.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from syncd.simulators.jira.render import issue_json
from syncd.simulators.jira.simulator import JiraSimulator
from syncd.simulators.jira.state import Comment
from syncd.simulators.sandbox import SandboxTracker, SeedCompany, SeedItem, SeedState

#: The Atlassian account syncd's API token belongs to (an email is no secret; the token is).
EMAIL = "syncd-bot@acme.example"
# Names of environment variables (the values are generated per run), not secrets themselves.
TOKEN_ENV = "SYNCD_SANDBOX_JIRA_TOKEN"  # noqa: S105
SECRET_ENV = "SYNCD_SANDBOX_JIRA_WEBHOOK_SECRET"  # noqa: S105
#: The simulated site's number fields (`Site.custom_fields`): the story points, and where syncd writes progress.
POINTS_FIELD = "customfield_10016"
PROGRESS_FIELD = "customfield_10050"
#: The seed's points label prefix (the config's default `points_prefix`).
POINTS_PREFIX = "points:"
#: Status category and resolution of each state.
STATE_OF: Mapping[SeedState, tuple[str, str | None]] = {
    "open": ("new", None),
    "in_progress": ("indeterminate", None),
    "done": ("done", "Done"),
    "dropped": ("done", "Won't Do"),
}
#: The comment property syncd's progress comment is created with (`adapters.jira.push.PROGRESS_PROPERTY`).
PROGRESS_PROPERTY = "syncd.progress"


class JiraSandboxTracker:
    """`SandboxTracker` over a `JiraSimulator` (see the module docstring)."""

    kind = "jira"
    title = "Jira"
    holds_numbers = False
    writes_progress_field = True

    def __init__(self) -> None:
        # A throwaway token until `start` adds the run's own.
        self.sim = JiraSimulator(email=EMAIL, token=secrets.token_hex(16))
        self.projects: tuple[str, ...] = ()
        self.items: dict[str, str] = {}

    def secret_names(self) -> tuple[str, ...]:
        """The API token and the admin webhook's secret."""
        return (TOKEN_ENV, SECRET_ENV)

    def start(self, credentials: Mapping[str, str]) -> str:
        """Serve, accepting the run's token; returns the site URL (the source's `base_url`)."""
        self.sim.accept_token(EMAIL, credentials[TOKEN_ENV])
        return self.sim.start()

    def stop(self) -> None:
        """Stop serving and delivering."""
        self.sim.stop()

    def seed(self, company: SeedCompany, items: Sequence[SeedItem]) -> None:
        """A project per team, then each item as an issue moved to its state (no admin webhook exists yet)."""
        self.projects = tuple(dict.fromkeys(item.team.upper() for item in items))
        for project in self.projects:
            self.sim.create_project(project)
        for item in items:
            key = self._create(item)
            self.items[item.key or f"#{key}"] = key

    def _create(self, item: SeedItem) -> str:
        labels = [label for label in item.labels if not label.startswith(POINTS_PREFIX)]
        points = [label.removeprefix(POINTS_PREFIX) for label in item.labels if label.startswith(POINTS_PREFIX)]
        fields = {POINTS_FIELD: float(points[0])} if points else {}
        key = self.sim.create_issue(item.team.upper(), item.title, labels=labels, fields=fields, emit=False)
        if item.state != "open":
            self.sim.transition(key, *STATE_OF[item.state])
        return key

    def after_seed(self) -> None:
        """Nothing: the site sends each admin webhook as the change happens."""

    def source_config(self, name: str, api_root: str, poll_interval: str) -> dict[str, Any]:
        """The projects, the account and its token, the signed admin webhook, both fields, a short poll."""
        return {
            "name": name,
            "kind": "jira",
            "base_url": api_root,
            "email": EMAIL,
            "token": f"${{{TOKEN_ENV}}}",
            "webhook_secret": f"${{{SECRET_ENV}}}",
            "projects": list(self.projects),
            "points_field": POINTS_FIELD,
            "progress_field": PROGRESS_FIELD,
            "poll_interval": poll_interval,
        }

    def config_note(self) -> str:
        """Nothing differs but the poll interval."""
        return ""

    def web_root(self) -> str:
        """The site's root (its API is under `/rest`); kept once stopped, for pages printed later."""
        return self.sim.url

    def story_keys(self) -> tuple[str, ...]:
        """The story keys it holds."""
        return tuple(key for key in self.items if not key.startswith("#"))

    def page(self, key: str | None = None) -> str:
        """The plain-text `/browse/KEY-N` page of an issue (add `?format=json` for JSON)."""
        issue = self.items[key] if key is not None else next(iter(self.items.values()))
        return f"{self.web_root()}/browse/{issue}"

    def external_id(self, key: str) -> str:
        """The issue key (`API-7`)."""
        return self.items[key]

    def settle(self, key: str) -> float:
        """The site stamps milliseconds, each change later than the last: no wait."""
        return 0.0

    def set_state(self, key: str, state: SeedState) -> None:
        """Transition to the state's status category (and resolution: Done, Won't Do, none)."""
        self.sim.transition(self.items[key], *STATE_OF[state])

    def add_label(self, key: str, label: str) -> None:
        """Label the issue."""
        self.sim.add_label(self.items[key], label)

    def remove_label(self, key: str, label: str) -> None:
        """Unlabel the issue."""
        self.sim.remove_label(self.items[key], label)

    def set_number(self, key: str, name: str, value: float) -> None:
        """Jira's number fields are read by id, not by the company's names; the spread never asks for one."""
        raise ValueError(f"the sandbox's Jira issues hold no number field named {name!r}")

    def lose_next_webhook(self) -> None:
        """Drop the next delivery."""
        self.sim.hooks.drop_next(1)

    def lost_webhook(self) -> bool:
        """Whether a delivery was dropped."""
        return any(delivery.dropped for delivery in self.sim.deliveries)

    def task_records(self, source: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """The live issues of the source's projects, as `GET /rest/api/3/issue/{key}` serves them."""
        projects = set(source["projects"])
        with self.sim.state.lock:
            live = [issue for issue in self.sim.state.live_issues() if issue.project in projects]
            return [issue_json(self.sim.url, issue) for issue in live]

    def syncd_comments(self, external_id: str) -> list[str]:
        """syncd's progress comments on the issue (created with its comment property), ADF shown as Markdown."""
        return [markdown(comment.body) for comment in self.sim.comments(external_id) if _ours(comment)]

    def progress_field(self, external_id: str) -> float | None:
        """The "KR progress" field as a fraction (syncd writes 0-100), or None when unset."""
        value = self.sim.issue(external_id).fields.get(PROGRESS_FIELD)
        return None if value is None else float(value) / 100

    def idle(self) -> bool:
        """No delivery waits."""
        return self.sim.wait_for_deliveries(timeout=0)


def _ours(comment: Comment) -> bool:
    """Whether a comment is one of syncd's progress comments (any source's)."""
    return comment.author == "api" and PROGRESS_PROPERTY in comment.properties


def markdown(node: object) -> str:
    """An ADF document as the Markdown Jira's editor accepts: `**strong**`, `*em*`, `` `code` ``, one line
    per paragraph, `- ` before list items (what `syncd.sandbox.observed` reads percentages from)."""
    if isinstance(node, Mapping):
        kind = node.get("type")
        if kind == "text":
            return _marked(str(node.get("text", "")), node.get("marks") or ())
        inner = "".join(markdown(child) for child in node.get("content") or ())
        if kind == "paragraph":
            return inner + "\n"
        return "- " + inner if kind == "listItem" else inner
    if isinstance(node, list):
        return "".join(markdown(child) for child in node)
    return ""


_MARKS = {"strong": "**", "em": "*", "code": "`"}


def _marked(text: str, marks: Sequence[Any]) -> str:
    for mark in marks:
        wrap = _MARKS.get(mark.get("type", "")) if isinstance(mark, Mapping) else None
        if wrap:
            text = f"{wrap}{text}{wrap}"
    return text


def sandbox_tracker() -> SandboxTracker:
    """The factory `TrackerDescriptor.sandbox` names (typed as the protocol, so mypy holds the class to it)."""
    return JiraSandboxTracker()
