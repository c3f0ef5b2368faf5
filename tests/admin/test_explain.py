"""`syncd explain TASK` through the real CLI on a synced simulator world: linked, unlinked, near miss, unknown."""

from __future__ import annotations

import json

import pytest

from tests.support.admin_world import AdminWorld


class TestLinkedTask:
    """A task that counts towards a KR shows why, its weight, credit and share, and the comment syncd keeps."""

    def test_done_task_by_source_ref_shows_its_share_and_comment(self, shared_world: AdminWorld) -> None:
        result = shared_world.syncd("explain", "acme-github:acme/web#1")
        assert result.exit_code == 0, result.output
        out = result.stdout
        assert "acme-github:acme/web#1 Ship the signup form" in out
        assert "state      done" in out
        assert "label kr:ENG-1.1" in out
        assert "33%" in out  # one of three tasks of ENG-1.1, done
        assert "Comment syncd keeps here: remote id" in out
        assert "up to date" in out
        assert "**ENG-1.1** Ship self-serve onboarding: **33%** (1 of 3 tasks done)" in out

    def test_a_tracker_url_finds_the_same_task(self, shared_world: AdminWorld) -> None:
        url = shared_world.sim.issue("acme/web", 3)["html_url"]
        result = shared_world.syncd("explain", url + "#issuecomment-1")
        assert result.exit_code == 0, result.output
        assert "acme-github:acme/web#3 Polish the onboarding tour" in result.stdout
        assert "rule label 'onboarding'" in result.stdout

    def test_json_carries_link_numbers_points_and_the_applied_comment(self, shared_world: AdminWorld) -> None:
        result = shared_world.syncd("explain", "acme-github:acme/web#2", "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["task"]["labels"] == ["kr:ENG-1.1", "points:3"]
        assert report["points"] == 3.0
        (link,) = report["explanation"]["links"]
        assert (link["kr_id"], link["weight"], link["credit"], link["share"]) == ("ENG-1.1", 1.0, 0.0, 0.0)
        (comment,) = report["targets"]
        assert comment["kind"] == "comment"
        assert comment["applied"] is True
        assert comment["remote_id"]
        on_github = [c.body for c in shared_world.sim.comments("acme/web", 2)]
        assert comment["applied_text"] in on_github


class TestEveryLinkTheSandboxPrints:
    """The simulator's own task pages (what `syncd sandbox` prints) are links `explain` reads."""

    @pytest.mark.parametrize("suffix", ["", "?format=json", "/"])
    def test_the_github_simulator_page_finds_the_issue(self, shared_world: AdminWorld, suffix: str) -> None:
        result = shared_world.syncd("explain", f"{shared_world.sim.url}/_sim/repos/acme/web/issues/3{suffix}")
        assert result.exit_code == 0, result.output
        assert "acme-github:acme/web#3 Polish the onboarding tour" in result.stdout

    def test_a_pull_request_link_is_read_like_an_issue_link(self, shared_world: AdminWorld) -> None:
        result = shared_world.syncd("explain", f"{shared_world.sim.url}/acme/web/pull/1/files")
        assert result.exit_code == 0, result.output
        assert "acme-github:acme/web#1 Ship the signup form" in result.stdout


class TestUnreadableArgument:
    """An argument that names no task in any form says it cannot be read and which forms are, not "sync"."""

    @pytest.mark.parametrize(
        "argument",
        [
            "not-a-task",
            "ENG-9.9",  # a configured KR id is explained (the goals and stores it feeds); an unknown one is not
            "acme-github:web#3",
            "acme-github:acme/web",
            "http://127.0.0.1:8080/healthz",
            "https://github.com/acme/web",
        ],
    )
    def test_it_says_it_cannot_read_the_argument(self, shared_world: AdminWorld, argument: str) -> None:
        result = shared_world.syncd("explain", argument)
        assert result.exit_code == 1
        assert f"cannot read {argument!r} as a task" in result.stderr
        assert "sync --once" not in result.stderr
        assert "acme-github:acme/web#12" in result.stderr  # a SOURCE:REF example naming a configured source
        assert "/_sim/tasks/" in result.stderr  # the simulator's pages are among the accepted forms


class TestUnlinkedAndNearMiss:
    """Tasks that do not count say so, and labels one edit away from a KR id are pointed out."""

    def test_unlinked_task_counts_towards_nothing_and_has_no_comment(self, shared_world: AdminWorld) -> None:
        result = shared_world.syncd("explain", "acme-github:acme/web#5")
        assert result.exit_code == 0, result.output
        assert "Counts towards no key result." in result.stdout
        assert "syncd keeps no comment or field on this task." in result.stdout
        assert "near miss" not in result.stdout

    def test_near_miss_label_names_the_kr_it_almost_linked(self, shared_world: AdminWorld) -> None:
        result = shared_world.syncd("explain", "acme-github:acme/web#4", "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["explanation"]["links"] == []
        misses = {(m["label"], m["kr_id"]) for m in report["explanation"]["near_misses"]}
        assert ("kr:ENG-1.l", "ENG-1.1") in misses
        (unknown,) = report["explanation"]["unknown"]
        assert unknown["suggestions"][0] == "ENG-1.1"

    def test_near_miss_is_shown_in_words(self, shared_world: AdminWorld) -> None:
        result = shared_world.syncd("explain", "acme-github:acme/web#4")
        assert "near miss: label 'kr:ENG-1.l' one edit away from ENG-1.1" in result.stdout
        assert "names no key result ENG-1.l; did you mean ENG-1.1" in result.stdout


class TestUnknownTask:
    """A task syncd has not mirrored is refused with what to do, exit 1."""

    def test_unmirrored_task_suggests_a_sync(self, world: AdminWorld) -> None:
        world.sim.create_issue("acme/web", "Created after the last poll", labels=["kr:ENG-1.1"])
        result = world.syncd("explain", "acme-github:acme/web#8")
        assert result.exit_code == 1
        assert "no task acme-github:acme/web#8 in the store yet" in result.stderr
        assert "syncd sync --once" in result.stderr

    def test_unknown_source_lists_the_configured_ones(self, shared_world: AdminWorld) -> None:
        result = shared_world.syncd("explain", "acme-gitlab:acme/web#1")
        assert result.exit_code == 1
        assert "no source named 'acme-gitlab' in the config (sources: acme-github)" in result.stderr

    def test_url_of_another_repository_is_not_found(self, shared_world: AdminWorld) -> None:
        result = shared_world.syncd("explain", f"{shared_world.sim.url}/acme/api/issues/1")
        assert result.exit_code == 1
        assert "no task" in result.stderr
