"""Conformance on GitHub's own material in ../shared/vendor-data (skipped with a reason when absent).

1. Every example webhook payload (api.github.com and GHES 3.5) goes through intake and interpret and
   is either normalized or deliberately ignored: never an exception.
2. Every webhook the simulator sends validates against GitHub's payload JSON Schemas (octokit).
3. Every request the adapter makes (all of its operations) matches GitHub's OpenAPI description; the
   `github_sim` fixture checks this for every test at teardown, and the test here drives each operation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from adapters.github.adapter import GitHubAdapter
from adapters.github.config import GitHubSourceConfig
from syncd.ports import PushWrite, WebhookAccepted, WebhookIgnored, WriteKind
from syncd.simulators.github import GitHubSimulator, sign
from syncd.simulators.github.events import Change
from tests.conftest import VENDOR_DATA
from tests.support.github_openapi import load_github_openapi, nonconforming
from tests.support.github_sim import GITHUB_WEBHOOK_SECRET, github_source_config

PAYLOAD_FOLDERS = ("github-webhooks", "github-webhooks-ghes-3.5")
#: Example events that syncd deliberately does not store (event.action or event).
IGNORED_ON_PURPOSE = {
    "ping", "projects_v2_item", "installation.deleted", "installation.suspend", "label.created",
    "issues.demilestoned", "issues.milestoned", "issues.locked", "issues.unlocked", "issues.pinned", "issues.unpinned",
    "pull_request.locked", "pull_request.unlocked", "pull_request.review_requested",
    "pull_request.review_request_removed", "pull_request.synchronize",
}  # fmt: skip


def example_payloads() -> list[Path]:
    """Every example payload file (empty when vendor data is absent)."""
    return sorted(p for folder in PAYLOAD_FOLDERS for p in (VENDOR_DATA / folder).glob("*/*.json"))


def example_id(path: Path) -> str:
    """`github-webhooks/issues/labeled.payload.json` style test ids."""
    return "/".join(path.parts[-3:])


def repositories_in(paths: list[Path]) -> list[str]:
    """Every repository named by the examples, so the conformance source follows them all."""
    names = set()
    for path in paths:
        payload = json.loads(path.read_bytes())
        for holder in (payload, payload.get("changes") or {}):
            for key in ("repository", "new_repository"):
                if isinstance(holder.get(key), dict):
                    names.add(holder[key]["full_name"])
    return sorted(names)


@pytest.fixture(scope="module")
def example_adapter(vendor_data: Path) -> Iterator[GitHubAdapter]:
    """A source following every repository of the examples (no I/O: intake and interpret are pure)."""
    paths = example_payloads()
    config = GitHubSourceConfig.model_validate(
        {
            "name": "examples",
            "kind": "github",
            "base_url": "https://octocoders.github.io/api/v3",
            "token": "unused",
            "webhook_secret": GITHUB_WEBHOOK_SECRET,
            "repos": repositories_in(paths),
        }
    )
    adapter = GitHubAdapter(config)
    yield adapter
    adapter.close()


class TestVendorPayloads:
    """GitHub's captured deliveries are understood or deliberately ignored, never an exception."""

    @pytest.mark.parametrize("path", example_payloads(), ids=example_id)
    def test_example_is_normalized_or_ignored(self, example_adapter: GitHubAdapter, path: Path) -> None:
        """Intake then interpret; accepted deliveries yield snapshots, removals or reconciliations."""
        body = path.read_bytes()
        event = path.parent.name
        headers = {
            "x-github-event": event,
            "x-github-delivery": f"example-{path.stem}",
            "x-hub-signature-256": sign(GITHUB_WEBHOOK_SECRET, body),
        }
        intake = example_adapter.intake(headers, body, {}, ())
        action = json.loads(body).get("action")
        name = f"{event}.{action}" if action else event
        if name in IGNORED_ON_PURPOSE or event in IGNORED_ON_PURPOSE:
            assert isinstance(intake, WebhookIgnored), name
            assert intake.reason
            return
        assert isinstance(intake, WebhookAccepted), (name, intake)
        effects = example_adapter.interpret(intake.event, body)
        assert effects.snapshots or effects.removed or effects.reconcile, name
        for snapshot in effects.snapshots:
            assert snapshot.external_id.count("#") == 1
            assert snapshot.url.startswith("https://")
            assert snapshot.updated_at.tzinfo is not None

    def test_there_are_examples(self, vendor_data: Path) -> None:
        """The vendor folders hold the examples this module parametrizes over (guards against a silent 0)."""
        assert len(example_payloads()) >= 100


@pytest.fixture(scope="module")
def payload_schemas(vendor_data: Path) -> Registry[Any]:
    """GitHub's webhook payload JSON Schemas, keyed by `$id` (`issues$labeled`, `common/issue.schema.json`)."""
    root = vendor_data / "github-webhook-schemas"
    resources = []
    for path in root.rglob("*.schema.json"):
        contents = json.loads(path.read_text())
        key = contents.get("$id") or path.relative_to(root).as_posix()
        resources.append((key, Resource.from_contents(contents, default_specification=DRAFT7)))
    return Registry().with_resources(resources)


class Recorder:
    """Collects every change the simulator publishes (instead of sending it)."""

    def __init__(self) -> None:
        self.changes: list[Change] = []

    def wants(self, repo: str | None, event: str) -> bool:
        """Everything."""
        return True

    def publish(self, change: Change) -> None:
        """Keep it."""
        self.changes.append(change)


class TestSimulatorPayloads:
    """What the simulator sends is what GitHub sends, per GitHub's payload schemas."""

    def test_every_simulated_webhook_matches_githubs_schema(
        self, github_sim: GitHubSimulator, payload_schemas: Registry[Any]
    ) -> None:
        """Issues, pull requests, labels and comments: every action the simulator emits validates."""
        recorder = Recorder()
        github_sim.state.listener = recorder
        drive_every_change(github_sim)
        problems = []
        for change in recorder.changes:
            schema_id = change.event + (f"${change.action}" if change.action else "$event")
            if change.event == "installation_repositories":
                continue  # octokit publishes no schema for it; its fields are checked in test_webhooks
            validator = Draft7Validator({"$ref": schema_id}, registry=payload_schemas)
            problems += [
                f"{change.name}: {error.json_path}: {error.message}" for error in validator.iter_errors(change.payload)
            ]
        assert {c.name for c in recorder.changes} >= EMITTED
        assert not problems, "\n".join(problems[:20])


EMITTED = {
    "issues.opened", "issues.edited", "issues.closed", "issues.reopened", "issues.labeled", "issues.unlabeled",
    "issues.assigned", "issues.unassigned", "issues.deleted", "issues.transferred", "label.created",
    "label.edited", "label.deleted", "issue_comment.created", "issue_comment.edited", "issue_comment.deleted",
    "pull_request.opened", "pull_request.ready_for_review", "pull_request.converted_to_draft",
    "pull_request.closed", "pull_request.reopened", "pull_request.labeled", "installation.created",
    "installation_repositories.added", "installation_repositories.removed",
}  # fmt: skip


def drive_every_change(sim: GitHubSimulator) -> None:
    """One of each change the simulator can make."""
    repo = "acme/web"
    number = sim.create_issue(repo, "task", labels=["kr:ENG-1.1"], body="body")
    sim.edit_issue(repo, number, title="renamed", body="new body")
    sim.assign(repo, number, "mona")
    sim.assign(repo, number)
    sim.add_label(repo, number, "in progress")
    sim.remove_label(repo, number, "in progress")
    sim.close_issue(repo, number, "not_planned")
    sim.reopen_issue(repo, number)
    comment = sim.add_comment(repo, number, "hello", author="mona")
    sim.edit_comment(repo, comment, "hello again")
    sim.delete_comment(repo, comment)
    pull = sim.create_pull_request(repo, "feature", draft=True)
    sim.set_draft(repo, pull, False)
    sim.add_label(repo, pull, "kr:ENG-1.1")
    sim.set_draft(repo, pull, True)
    sim.close_issue(repo, pull)
    sim.reopen_issue(repo, pull)
    sim.merge_pull_request(repo, pull)
    sim.rename_label(repo, "kr:ENG-1.1", "kr:ENG-1.2")
    sim.delete_label(repo, "kr:ENG-1.2")
    sim.transfer_issue(repo, sim.create_issue(repo, "moving"), "acme/api")
    sim.delete_issue(repo, sim.create_issue(repo, "doomed"))
    sim.register_app(11, "public-key", 5, ["acme/web"])
    sim.register_app(11, "public-key", 5, ["acme/web", "acme/api"])
    sim.register_app(11, "public-key", 5, ["acme/api"])


class TestAdapterRequests:
    """Every request the adapter makes matches an operation of GitHub's OpenAPI description."""

    def test_every_operation_conforms(self, github_sim: GitHubSimulator, vendor_data: Path) -> None:
        """Poll (incl. 304), reconcile, fetch, comments, summary issue, hooks, check: all conform."""
        spec = load_github_openapi(vendor_data)
        assert spec is not None
        adapter = GitHubAdapter(github_source_config(github_sim, summary_issues=True))
        try:
            drive_every_operation(github_sim, adapter)
        finally:
            adapter.close()
        requests = [r for r in github_sim.requests if r.api == "rest"]
        operations = {(r.method, spec.template_of(r.path)) for r in requests}
        assert operations >= {
            ("GET", "/repos/{owner}/{repo}/issues"),
            ("GET", "/repos/{owner}/{repo}/issues/{issue_number}"),
            ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
            ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
            ("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
            ("POST", "/repos/{owner}/{repo}/issues"),
            ("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}"),
            ("GET", "/repos/{owner}/{repo}/hooks"),
            ("POST", "/repos/{owner}/{repo}/hooks"),
            ("PATCH", "/repos/{owner}/{repo}/hooks/{hook_id}"),
            ("GET", "/user"),
            ("GET", "/repos/{owner}/{repo}"),
        }
        assert nonconforming(spec, github_sim.requests) == []


def drive_every_operation(sim: GitHubSimulator, adapter: GitHubAdapter) -> None:
    """Call each I/O operation of the adapter once or twice."""
    started = datetime.now(UTC) + timedelta(seconds=2)
    number = sim.create_issue("acme/web", "task", labels=["kr:ENG-1.1"])
    bookmark = adapter.poll(None, "acme/web", started).bookmark
    bookmark = adapter.poll(bookmark, "acme/web", started).bookmark
    adapter.poll(bookmark, "acme/web", started)
    adapter.reconcile("acme/api", started)
    adapter.fetch([f"acme/web#{number}", "acme/web#404"])
    first = adapter.apply(None, PushWrite(WriteKind.COMMENT, f"acme/web#{number}", text="25%"))
    adapter.apply(None, PushWrite(WriteKind.COMMENT, f"acme/web#{number}", text="50%", remote_id=first.remote_id))
    adapter.apply(None, PushWrite(WriteKind.COMMENT, f"acme/web#{number}", text="75%"))
    summary = adapter.apply(None, PushWrite(WriteKind.SUMMARY, "ENG-1.1", text="1 of 1"))
    adapter.apply(None, PushWrite(WriteKind.SUMMARY, "ENG-1.1", text="1 of 2", remote_id=summary.remote_id))
    adapter.apply(None, PushWrite(WriteKind.SUMMARY, "ENG-1.1", text="2 of 2"))
    adapter.install_webhooks("https://okr.example.com", dry_run=False)
    sim.hooks("acme/web")[0].events = ["push"]
    adapter.install_webhooks("https://okr.example.com", dry_run=False)
    adapter.check_online("https://okr.example.com")
