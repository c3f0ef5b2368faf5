"""GitHub's part in `syncd sandbox` (`syncd.simulators.sandbox.SandboxTracker`) over a `GitHubSimulator`.

Each team's items go to a repository of its own (`acme/web`, `acme/api`); code changes are pull requests
(done: merged, dropped: closed unmerged), other items issues (done: closed as completed, dropped: as not
planned); "in progress" is the `in progress` label. GitHub stamps whole seconds, so a change waits for the
item's next second (`settle`). GitHub holds no number fields: metric tasks go to trackers that do.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from syncd.simulators.github.entities import SimIssue
from syncd.simulators.github.simulator import GitHubSimulator
from syncd.simulators.sandbox import SandboxTracker, SeedCompany, SeedItem, SeedState

#: The GitHub user syncd writes as in the simulator.
BOT_LOGIN = "syncd-bot"
# Names of environment variables (the values are generated per run), not secrets themselves.
TOKEN_ENV = "SYNCD_SANDBOX_GITHUB_TOKEN"  # noqa: S105
SECRET_ENV = "SYNCD_SANDBOX_GITHUB_WEBHOOK_SECRET"  # noqa: S105
#: The label that puts an open item in progress (the source's default `in_progress_labels`).
IN_PROGRESS_LABEL = "in progress"
#: Content writes per minute in the sandbox (the story edits many comments within a minute; GitHub allows 80).
WRITES_PER_MINUTE = 1000
#: The hidden marker syncd's comments carry (`MarkdownComment.marker`).
MARKER = "<!-- syncd:task="


class GitHubSandboxTracker:
    """`SandboxTracker` over a `GitHubSimulator` that paces no writes (the sandbox's config asks for more)."""

    kind = "github"
    title = "GitHub"
    holds_numbers = False
    writes_progress_field = False

    def __init__(self) -> None:
        # A throwaway token until `start` adds the run's own.
        self.sim = GitHubSimulator(token=secrets.token_hex(16), login=BOT_LOGIN, writes_per_minute=None)
        self.repos: tuple[str, ...] = ()
        self.items: dict[str, tuple[str, int]] = {}
        self._web = ""

    def secret_names(self) -> tuple[str, ...]:
        """The token and the webhook secret."""
        return (TOKEN_ENV, SECRET_ENV)

    def start(self, credentials: Mapping[str, str]) -> str:
        """Serve, accepting the run's token; returns the REST root (`/api/v3`, as on GitHub Enterprise Server)."""
        self.sim.credentials.add_token(credentials[TOKEN_ENV], BOT_LOGIN)
        self.sim.start()
        self._web = self.sim.api_url.removesuffix("/api/v3")
        return self.sim.api_url

    def stop(self) -> None:
        """Stop serving and delivering."""
        self.sim.stop()

    def seed(self, company: SeedCompany, items: Sequence[SeedItem]) -> None:
        """A repository per team, then each item as an issue or pull request in its final state."""
        owner = company.name.lower()
        self.repos = tuple(dict.fromkeys(f"{owner}/{item.team}" for item in items))
        for repo in self.repos:
            self.sim.create_repo(repo)
        for item in items:
            repo = f"{owner}/{item.team}"
            number = self._create(repo, item)
            self.items[item.key or f"#{repo}#{number}"] = (repo, number)

    def _create(self, repo: str, item: SeedItem) -> int:
        labels = (*item.labels, IN_PROGRESS_LABEL) if item.state == "in_progress" else item.labels
        if item.change:
            number = self.sim.create_pull_request(repo, item.title, labels=labels)
        else:
            number = self.sim.create_issue(repo, item.title, labels=labels)
        if item.state in ("done", "dropped"):
            self._close(repo, number, item.state)
        return number

    def after_seed(self) -> None:
        """Nothing: GitHub sends each webhook as the change happens."""

    def source_config(self, name: str, api_root: str, poll_interval: str) -> dict[str, Any]:
        """The repositories, signed webhooks, a short poll and a generous write pace."""
        return {
            "name": name,
            "kind": "github",
            "base_url": api_root,
            "token": f"${{{TOKEN_ENV}}}",
            "webhook_secret": f"${{{SECRET_ENV}}}",
            "repos": list(self.repos),
            "poll_interval": poll_interval,
            "writes_per_minute": WRITES_PER_MINUTE,
        }

    def config_note(self) -> str:
        """The write pace, which real GitHub would not allow."""
        return f"GitHub writes are paced at {WRITES_PER_MINUTE}/min (the simulator allows it; GitHub allows 80)"

    def web_root(self) -> str:
        """The simulator's root (its REST API is under `/api/v3`); kept once stopped, for pages printed later."""
        return self._web

    def story_keys(self) -> tuple[str, ...]:
        """The story keys it holds."""
        return tuple(key for key in self.items if not key.startswith("#"))

    def page(self, key: str | None = None) -> str:
        """The plain-text page of an issue (add `?format=json` for JSON)."""
        repo, number = self.items[key] if key is not None else next(iter(self.items.values()))
        return f"{self.web_root()}/_sim/repos/{repo}/issues/{number}"

    def external_id(self, key: str) -> str:
        """`OWNER/REPO#NUMBER`."""
        repo, number = self.items[key]
        return f"{repo}#{number}"

    def settle(self, key: str) -> float:
        """Until the issue's next whole second, so the change looks newer than its last one."""
        fresh = self.sim.raw_issue(*self.items[key]).updated_at + timedelta(seconds=1)
        return max(0.0, (fresh - datetime.now(UTC)).total_seconds())

    def set_state(self, key: str, state: SeedState) -> None:
        """Label in progress, merge or close (completed; not planned, or unmerged, when dropped)."""
        repo, number = self.items[key]
        if state == "in_progress":
            self.sim.add_label(repo, number, IN_PROGRESS_LABEL)
        elif state in ("done", "dropped"):
            self._close(repo, number, state)
        else:
            self.sim.reopen_issue(repo, number)

    def _close(self, repo: str, number: int, state: SeedState) -> None:
        if self.sim.raw_issue(repo, number).is_pull:
            if state == "done":
                self.sim.merge_pull_request(repo, number)
            else:
                self.sim.close_issue(repo, number)
        else:
            self.sim.close_issue(repo, number, "completed" if state == "done" else "not_planned")

    def add_label(self, key: str, label: str) -> None:
        """Label the issue."""
        self.sim.add_label(*self.items[key], label)

    def remove_label(self, key: str, label: str) -> None:
        """Unlabel the issue."""
        self.sim.remove_label(*self.items[key], label)

    def set_number(self, key: str, name: str, value: float) -> None:
        """GitHub issues hold no number fields; the spread never asks for one."""
        raise ValueError(f"GitHub issues hold no number field such as {name!r}")

    def lose_next_webhook(self) -> None:
        """Drop the next delivery."""
        self.sim.drop_deliveries(1)

    def lost_webhook(self) -> bool:
        """Whether a delivery was dropped."""
        return any(delivery.dropped for delivery in self.sim.deliveries)

    def task_records(self, source: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """The live issues and pull requests of the source's repositories, as the REST API serves them."""
        with self.sim.state.lock:
            repos = [self.sim.state.repo(repo) for repo in source["repos"]]
            live = [issue for repo in repos for issue in repo.issues.values() if _live(issue)]
            return [self.sim.issue(issue.repo, issue.number) for issue in live]

    def syncd_comments(self, external_id: str) -> list[str]:
        """The issue's comments that carry syncd's marker."""
        repo, _, number = external_id.rpartition("#")
        return [comment.body for comment in self.sim.comments(repo, int(number)) if MARKER in comment.body]

    def progress_field(self, external_id: str) -> float | None:
        """The sandbox writes no GitHub field."""
        return None

    def idle(self) -> bool:
        """No webhook waits."""
        return self.sim.wait_for_deliveries(timeout=0)


def _live(issue: SimIssue) -> bool:
    """Not deleted, not transferred away."""
    return not issue.deleted and issue.transferred_to is None


def sandbox_tracker() -> SandboxTracker:
    """The factory `TrackerDescriptor.sandbox` names (typed as the protocol, so mypy holds the class to it)."""
    return GitHubSandboxTracker()
