"""GitLab's part in `syncd sandbox` (`syncd.simulators.sandbox.SandboxTracker`) over a `GitLabSimulator`.

Each team's items go to a project of its own (`acme/web`, `acme/api`, `acme/sales`); code changes under review
are merge requests, the rest issues. States as GitLab teams say them: in progress is the label `doing` (an open
merge request is a draft), done a close (a merge), dropped a close with the label `wontfix` (a merge request
closed unmerged). Labels (`kr:`, `points:`) are GitLab labels. syncd writes one Markdown note per linked item
and no field: `progress_field` (a Premium number custom field) is written on issues only, as merge requests are
not work items, and the sandbox expects a field on every linked item of a tracker that writes one; number tasks
go to trackers that hold numbers.
The hooks carry a secret token (`X-Gitlab-Token`); the instance stamps milliseconds and sends each hook as the
change happens.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from syncd.simulators.gitlab.render import item_json
from syncd.simulators.gitlab.simulator import GitLabSimulator
from syncd.simulators.sandbox import SandboxTracker, SeedCompany, SeedItem, SeedState

# Names of environment variables (the values are generated per run), not secrets themselves.
TOKEN_ENV = "SYNCD_SANDBOX_GITLAB_TOKEN"  # noqa: S105
SECRET_ENV = "SYNCD_SANDBOX_GITLAB_WEBHOOK_SECRET"  # noqa: S105
GROUP = "acme"
IN_PROGRESS = "doing"
DROPPED = "wontfix"
MARKER = "<!-- syncd:"


class GitLabSandboxTracker:
    """`SandboxTracker` over a `GitLabSimulator` (see the module docstring)."""

    kind = "gitlab"
    title = "GitLab"
    holds_numbers = False
    writes_progress_field = False

    def __init__(self) -> None:
        # A throwaway token until `start` adds the run's own.
        self.sim = GitLabSimulator(token=secrets.token_hex(16))
        self.projects: tuple[str, ...] = ()
        self.items: dict[str, str] = {}

    def secret_names(self) -> tuple[str, ...]:
        """The access token and the hooks' secret token."""
        return (TOKEN_ENV, SECRET_ENV)

    def start(self, credentials: Mapping[str, str]) -> str:
        """Serve, accepting the run's token; returns the instance URL (the source's `base_url`)."""
        self.sim.accept_token(credentials[TOKEN_ENV])
        return self.sim.start()

    def stop(self) -> None:
        """Stop serving and delivering."""
        self.sim.stop()

    def seed(self, company: SeedCompany, items: Sequence[SeedItem]) -> None:
        """A project per team, then each item as an issue or merge request in its state (no hook exists yet)."""
        self.projects = tuple(dict.fromkeys(f"{GROUP}/{item.team.lower()}" for item in items))
        for project in self.projects:
            self.sim.create_project(project)
        for item in items:
            project = f"{GROUP}/{item.team.lower()}"
            if item.change:
                ref = self.sim.create_merge_request(project, item.title, labels=item.labels)
            else:
                ref = self.sim.create_issue(project, item.title, labels=item.labels, emit=False)
            if item.state != "open":
                self.set_state_of(ref, item.state)
            self.items[item.key or f"#{ref}"] = ref

    def after_seed(self) -> None:
        """Nothing: the instance sends each hook as the change happens."""

    def source_config(self, name: str, api_root: str, poll_interval: str) -> dict[str, Any]:
        """The projects, the token, the hooks' secret token, the state labels, a short poll."""
        return {
            "name": name,
            "kind": "gitlab",
            "base_url": api_root,
            "token": f"${{{TOKEN_ENV}}}",
            "webhook_secret": f"${{{SECRET_ENV}}}",
            "projects": list(self.projects),
            "in_progress_labels": [IN_PROGRESS],
            "dropped_labels": [DROPPED],
            "poll_interval": poll_interval,
        }

    def config_note(self) -> str:
        """Nothing differs but the poll interval."""
        return ""

    def web_root(self) -> str:
        """The instance's root (its API is under `/api/v4`); kept once stopped, for pages printed later."""
        return self.sim.url

    def story_keys(self) -> tuple[str, ...]:
        """The story keys it holds."""
        return tuple(key for key in self.items if not key.startswith("#"))

    def page(self, key: str | None = None) -> str:
        """The plain-text page of an item (`/acme/web/-/issues/3`; add `?format=json` for JSON)."""
        ref = self.items[key] if key is not None else next(iter(self.items.values()))
        item = self.sim.item(ref)
        project = self.sim.state.projects[item.project_id].path
        return f"{self.web_root()}/{project}/-/{'issues' if item.kind == 'issue' else 'merge_requests'}/{item.iid}"

    def external_id(self, key: str) -> str:
        """The reference (`acme/api#7`, `acme/web!2`)."""
        return self.items[key]

    def settle(self, key: str) -> float:
        """The instance stamps milliseconds, each change later than the last: no wait."""
        return 0.0

    def set_state(self, key: str, state: SeedState) -> None:
        """Label, close or merge the item as its team would."""
        self.set_state_of(self.items[key], state)

    def set_state_of(self, ref: str, state: SeedState) -> None:
        """Move one item (by reference) to `state`."""
        item = self.sim.item(ref)
        if item.kind == "merge_request":
            self._merge_request_to(ref, state)
            return
        labels = [label for label in item.labels if label not in (IN_PROGRESS, DROPPED)]
        if state in ("open", "in_progress") and item.state != "opened":
            self.sim.reopen(ref)
        extra = {"in_progress": [IN_PROGRESS], "dropped": [DROPPED]}.get(state, [])
        if labels + extra != item.labels:
            self.sim.set_labels(ref, labels + extra)
        if state in ("done", "dropped") and item.state == "opened":
            self.sim.close(ref)

    def _merge_request_to(self, ref: str, state: SeedState) -> None:
        item = self.sim.item(ref)
        if item.state == "opened" and state in ("open", "in_progress"):
            self.sim.set_draft(ref, state == "in_progress")
        elif state == "done":
            self.sim.merge(ref)
        elif state == "dropped":
            self.sim.close(ref)
        else:
            self.sim.reopen(ref)
            self.sim.set_draft(ref, state == "in_progress")

    def add_label(self, key: str, label: str) -> None:
        """Label the item."""
        self.sim.add_label(self.items[key], label)

    def remove_label(self, key: str, label: str) -> None:
        """Unlabel the item."""
        self.sim.remove_label(self.items[key], label)

    def set_number(self, key: str, name: str, value: float) -> None:
        """GitLab items hold no number fields syncd reads; the spread never asks for one."""
        raise ValueError(f"the sandbox's GitLab items hold no number field named {name!r}")

    def lose_next_webhook(self) -> None:
        """Drop the next delivery."""
        self.sim.hooks.drop_next(1)

    def lost_webhook(self) -> bool:
        """Whether a delivery was dropped."""
        return any(delivery.dropped for delivery in self.sim.deliveries)

    def task_records(self, source: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """The live issues and merge requests of the source's projects, as `GET .../issues/:iid` serves them."""
        records: list[Mapping[str, Any]] = []
        state = self.sim.state
        with state.lock:
            for path in source["projects"]:
                project = state.project(path)
                for kind in ("issue", "merge_request"):
                    records += [item_json(self.sim.url, project, item) for item in state.project_items(project, kind)]
        return records

    def syncd_comments(self, external_id: str) -> list[str]:
        """syncd's progress notes on the item (those with its hidden marker), in Markdown."""
        return [note.body for note in self.sim.notes(external_id) if MARKER in note.body]

    def progress_field(self, external_id: str) -> float | None:
        """No progress field (see the module docstring)."""
        return None

    def idle(self) -> bool:
        """No delivery waits."""
        return self.sim.wait_for_deliveries(timeout=0)


def sandbox_tracker() -> SandboxTracker:
    """The factory `TrackerDescriptor.sandbox` names (typed as the protocol, so mypy holds the class to it)."""
    return GitLabSandboxTracker()
