"""Data Center's comment: the ADF progress comment as Jira wiki markup, the same words, marks as wiki marks,
text that looks like markup escaped; and the flavour read from `serverInfo`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from adapters.jira.flavour import deployment_from
from adapters.jira.render import JIRA_ADF, plain_text
from adapters.jira.webhook import intake
from adapters.jira.wiki import wiki_markup, wiki_text
from syncd.core.matching import UnknownKr
from syncd.core.model import Status, TaskRef
from syncd.core.progress import KrProgress
from syncd.core.render import CommentEntry
from syncd.ports import WebhookIgnored
from tests.jira.support import jira_config, signed
from tests.support.core_builders import QUARTER, kr, objective


def rendered(title: str = "Ship onboarding") -> dict[str, object]:
    """The ADF renderer's comment for one KR at 2 of 3 and one unknown label."""
    progress = KrProgress("ENG-1.2", 2 / 3, Status.ON_TRACK, 0.45, 2.0, 3.0, 3)
    changed = datetime(2026, 12, 3, 14, 5, tzinfo=UTC)
    entry = CommentEntry(kr("ENG-1.2", title=title), objective("ENG-1", "ENG-1.2"), QUARTER, progress, changed)
    unknown = [UnknownKr("kr:ENG-9", "ENG-9", ("ENG-1.2",))]
    return dict(json.loads(JIRA_ADF.render(TaskRef("acme-jira", "ENG-1"), [entry], unknown)))


class TestWikiMarkup:
    """Wiki markup says what the ADF says."""

    def test_the_comment_reads_the_same_in_both_formats(self) -> None:
        """Stripped of their marks, the wiki text and the ADF text are the same lines."""
        document = rendered()
        assert wiki_text(wiki_markup(document)).split() == plain_text(document).split()

    def test_marks_become_wiki_marks(self) -> None:
        """Heading and percentage bold, the label as code, the KR a bullet, its details after a line break."""
        markup = wiki_markup(rendered())
        lines = markup.splitlines()
        assert lines[0] == "*OKR progress* for this task"
        assert lines[2].startswith("* *ENG-1.2* Ship onboarding: *67%* (2 of 3 tasks done)")
        assert "\\\\ _Objective ENG-1" in lines[2]
        assert "{{kr:ENG-9}}" in markup

    def test_text_that_looks_like_markup_is_escaped(self) -> None:
        """A KR titled `Fix *all* [links]` shows those characters, it does not turn bold or into a link."""
        markup = wiki_markup(rendered("Fix *all* [links]"))
        assert "Fix \\*all\\* \\[links\\]" in markup
        assert "Fix *all* [links]" in wiki_text(markup)

    def test_our_wiki_comment_event_is_ignored_as_ours(self) -> None:
        """A Data Center comment event carries the body as wiki markup; syncd still knows its own comment."""
        payload = {"webhookEvent": "comment_updated", "comment": {"body": wiki_markup(rendered())}}
        headers, body = signed(payload)
        assert intake(jira_config(), headers, body) == WebhookIgnored("comment_updated", "a comment syncd wrote itself")


class TestFlavour:
    """`deploymentType` decides REST version and comment format."""

    @pytest.mark.parametrize(
        ("info", "cloud", "api", "title"),
        [
            ({"deploymentType": "Cloud", "version": "1001.0.0"}, True, "/rest/api/3", "Jira Cloud"),
            ({"deploymentType": "DataCenter", "version": "9.12.2"}, False, "/rest/api/2", "Jira Data Center 9.12.2"),
            ({"deploymentType": "Server", "version": "8.20.1"}, False, "/rest/api/2", "Jira Server 8.20.1"),
            ({"version": "7.0.0"}, False, "/rest/api/2", "Jira Server 7.0.0"),
        ],
    )
    def test_the_deployment_type(self, info: dict[str, str], cloud: bool, api: str, title: str) -> None:
        """Cloud is v3; Data Center, Server and old servers without the key are v2."""
        found = deployment_from(info)
        assert (found.cloud, found.api, found.title) == (cloud, api, title)
