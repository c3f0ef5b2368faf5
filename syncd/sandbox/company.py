"""The sandbox's seeded company, as plain data: Acme's current quarter, its OKRs, issues and tasks.

One cycle (the quarter containing `today`, so status words mean something), three objectives, eight
key results covering every measure (tasks, tasks weighted by points, count, metric from check-ins
rising and falling, metric from the sum and the average of a number field), about sixty tasks across
two GitHub repositories and one Asana project, a few of them with misspelled `kr:` labels. Items the
story touches later carry a `key` so the story can find them again once the simulators gave them ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

WEB = "acme/web"
API = "acme/api"
PROJECT = "Mid-market launch"
SECTIONS = ("To do", "Doing", "Won't do")
IN_PROGRESS_SECTION = "Doing"
DROPPED_SECTION = "Won't do"
PROGRESS_FIELD = "OKR progress"
PIPELINE_FIELD = "Pipeline (k$)"
CYCLE_DAYS_FIELD = "Sales cycle (days)"
GOAL_NAME = "Mid-market pipeline"
GOAL_KR = "GTM-1.2"

#: How a seeded GitHub item ends up: open, closed for a reason, or (pull requests) merged.
IssueState = Literal["open", "completed", "not_planned", "duplicate", "merged"]


@dataclass(frozen=True)
class Cycle:
    """The quarter the sandbox runs in."""

    id: str
    title: str
    start: date
    end: date


@dataclass(frozen=True)
class SeedIssue:
    """A GitHub issue or pull request to create, with its labels and final state."""

    repo: str
    title: str
    labels: tuple[str, ...] = ()
    pull: bool = False
    state: IssueState = "open"
    key: str | None = None


@dataclass(frozen=True)
class SeedTask:
    """An Asana task of the project: tags, section, number fields, completion."""

    name: str
    tags: tuple[str, ...] = ()
    section: str = SECTIONS[0]
    numbers: Mapping[str, float] = field(default_factory=dict)
    completed: bool = False
    key: str | None = None


@dataclass(frozen=True)
class SeedCheckIn:
    """A metric value reported by hand before the story starts."""

    kr_id: str
    value: float
    note: str


@dataclass(frozen=True)
class Company:
    """Everything the sandbox seeds: OKRs (in the config's YAML shape), issues, tasks, check-ins."""

    name: str
    cycle: Cycle
    objectives: tuple[dict[str, Any], ...]
    issues: tuple[SeedIssue, ...]
    tasks: tuple[SeedTask, ...]
    checkins: tuple[SeedCheckIn, ...]
    misspelled_labels: tuple[str, ...]

    @property
    def key_result_ids(self) -> tuple[str, ...]:
        """Every KR id, in config order."""
        return tuple(kr["id"] for objective in self.objectives for kr in objective["key_results"])


def current_quarter(today: date) -> Cycle:
    """The calendar quarter containing `today` (`2026-Q4`, 2026-10-01 .. 2026-12-31)."""
    index = (today.month - 1) // 3
    start = date(today.year, 3 * index + 1, 1)
    following = date(today.year + 1, 1, 1) if index == 3 else date(today.year, 3 * index + 4, 1)
    return Cycle(f"{today.year}-Q{index + 1}", f"Q{index + 1} {today.year}", start, following - timedelta(days=1))


def acme(today: date) -> Company:
    """Acme, a small software company, in the quarter containing `today`."""
    cycle = current_quarter(today)
    return Company(
        name="Acme",
        cycle=cycle,
        objectives=_objectives(cycle.id),
        issues=_web_issues() + _api_issues(),
        tasks=_asana_tasks(),
        checkins=(
            SeedCheckIn("ENG-1.3", 41, "weekly product analytics"),
            SeedCheckIn("ENG-2.2", 780, "p95 over the last 7 days"),
        ),
        misspelled_labels=("kr:ENG-12", "kr:GMT-1.1"),
    )


def _objectives(cycle: str) -> tuple[dict[str, Any], ...]:
    return (
        {
            "id": "ENG-1",
            "title": "Make onboarding self-serve",
            "cycle": cycle,
            "owner": "Maya (Engineering)",
            "key_results": [
                {"id": "ENG-1.1", "title": "Ship the new signup flow"},
                {
                    "id": "ENG-1.2",
                    "title": "Launch guided workspace setup",
                    "task_weight": "points",
                    "in_progress_credit": 0.5,
                },
                {
                    "id": "ENG-1.3",
                    "title": "Raise week-1 activation",
                    "measure": "metric",
                    "start": 35,
                    "target": 60,
                    "unit": "%",
                },
            ],
        },
        {
            "id": "ENG-2",
            "title": "Keep the platform fast and reliable",
            "cycle": cycle,
            "owner": "Sam (Platform)",
            "key_results": [
                {"id": "ENG-2.1", "title": "Fix customer-reported bugs", "measure": "count", "target": 12},
                {
                    "id": "ENG-2.2",
                    "title": "Cut p95 API latency",
                    "measure": "metric",
                    "start": 900,
                    "target": 300,
                    "unit": "ms",
                },
            ],
        },
        {
            "id": "GTM-1",
            "title": "Win mid-market customers",
            "cycle": cycle,
            "owner": "Priya (Sales)",
            "key_results": [
                {"id": "GTM-1.1", "title": "Publish the mid-market sales playbook", "in_progress_credit": 0.5},
                {
                    "id": "GTM-1.2",
                    "title": "Build qualified pipeline",
                    "measure": "metric",
                    "start": 0,
                    "target": 400,
                    "unit": "k$",
                    "aggregate": "sum",
                    "field": PIPELINE_FIELD,
                },
                {
                    "id": "GTM-1.3",
                    "title": "Shorten the sales cycle",
                    "measure": "metric",
                    "start": 60,
                    "target": 40,
                    "unit": "days",
                    "aggregate": "avg",
                    "field": CYCLE_DAYS_FIELD,
                },
            ],
        },
    )


def _issue(
    title: str, *labels: str, pull: bool = False, state: IssueState = "open", key: str | None = None
) -> SeedIssue:
    return SeedIssue(WEB, title, labels, pull, state, key)


def _web_issues() -> tuple[SeedIssue, ...]:
    signup, setup = "kr:ENG-1.1", "kr:ENG-1.2"
    return (
        _issue("Signup form validation", signup, pull=True, key="signup-validation"),
        _issue("Email verification link", signup, state="completed"),
        _issue("Password-less sign-in", key="passwordless"),
        _issue("Social login with Google", signup, state="completed"),
        _issue("Signup analytics events", signup, "in progress"),
        _issue("Signup page copy review", signup, state="completed"),
        _issue("Rate-limit signup attempts", signup, pull=True, state="merged"),
        _issue("Terms of service checkbox", signup),
        _issue("Mobile layout of the signup page", signup),
        _issue("Captcha on signup", signup, state="not_planned"),
        _issue("Setup checklist UI", setup, "points:5", state="completed"),
        _issue("Invite teammates step", setup, "points:3", "in progress"),
        _issue("Sample project template", setup, "points:2"),
        _issue("Remember the last workspace", "kr:ENG-12", "points:2", key="misspelled-web"),
        _issue("Upgrade React to 19", "dependencies"),
        _issue("Fix flaky end-to-end test", "tests"),
        _issue("Dark mode toggle", "enhancement"),
        _issue("Update README screenshots", "docs", state="completed"),
        _issue("Architecture diagram for new hires", "docs"),
        _issue("Bump eslint config", "dependencies", pull=True, state="merged"),
    )


def _api_issue(
    title: str, *labels: str, pull: bool = False, state: IssueState = "open", key: str | None = None
) -> SeedIssue:
    return SeedIssue(API, title, labels, pull, state, key)


def _api_issues() -> tuple[SeedIssue, ...]:
    setup, bugs, latency = "kr:ENG-1.2", "kr:ENG-2.1", "kr:ENG-2.2"
    return (
        _api_issue("Setup wizard API", setup, "points:5", key="setup-wizard"),
        _api_issue("Migrate setup to the v1 API", setup, "points:3", key="setup-migration"),
        _api_issue("Workspace defaults endpoint", setup, "points:3", state="completed"),
        _api_issue("Seed data service", setup, "points:8"),
        _api_issue("Setup progress webhooks", setup, "points:2", pull=True, state="merged"),
        _api_issue("500 on empty search", bugs, "bug", state="completed"),
        _api_issue("Timezone off by one in reports", bugs, "bug", state="completed"),
        _api_issue("Duplicate invoices on retry", bugs, "bug", state="completed"),
        _api_issue("CSV export drops accented letters", bugs, "bug", state="completed"),
        _api_issue("Slow login for SSO users", bugs, "bug", state="completed"),
        _api_issue("Pagination skips the last page", bugs, "bug"),
        _api_issue("Webhook retries never stop", bugs, "bug"),
        _api_issue("Rounding error in invoice totals", bugs, "bug"),
        _api_issue("Search returns 500 again", bugs, "bug", state="duplicate"),
        _api_issue("Crash when exporting a large CSV", "bug", key="csv-crash"),
        _api_issue("Cache session lookups", latency, "in progress"),
        _api_issue("Index the events table", latency, pull=True, state="merged"),
        _api_issue("Bump dependencies", "dependencies", pull=True, state="merged"),
        _api_issue("Refactor auth middleware", "tech-debt"),
        _api_issue("Log request ids", "observability", state="completed"),
    )


def _asana_tasks() -> tuple[SeedTask, ...]:
    playbook, pipeline, cycle = "kr:GTM-1.1", "kr:GTM-1.2", "kr:GTM-1.3"
    doing, dropped = IN_PROGRESS_SECTION, DROPPED_SECTION
    return (
        SeedTask("Write the discovery call script", (playbook,), completed=True),
        SeedTask("Build the ROI calculator", (playbook,), completed=True),
        SeedTask("Competitive battlecards", (playbook,), key="battlecards"),
        SeedTask("Pricing objection handling", (playbook,), doing),
        SeedTask("Case study: Fabrikam", (playbook,), completed=True),
        SeedTask("Demo workspace with sample data", (playbook,), doing, key="demo-workspace"),
        SeedTask("Security questionnaire answers", (playbook,)),
        SeedTask("Onboarding handoff checklist", (playbook,), dropped),
        SeedTask("Partner referral one-pager", ("kr:GMT-1.1",), key="misspelled-asana"),
        SeedTask("Deal: Northwind Logistics", (pipeline,), numbers={PIPELINE_FIELD: 60}, key="northwind"),
        SeedTask("Deal: Contoso pilot", (pipeline,), doing, numbers={PIPELINE_FIELD: 80}, key="contoso"),
        SeedTask("Deal: Tailspin Toys", (pipeline,), numbers={PIPELINE_FIELD: 45}),
        SeedTask("Deal: Wide World Importers", (pipeline,), doing, numbers={PIPELINE_FIELD: 70}),
        SeedTask("Deal: Litware renewal", (pipeline,), numbers={PIPELINE_FIELD: 30}),
        SeedTask("Won: Adventure Works", (cycle,), numbers={CYCLE_DAYS_FIELD: 58}, completed=True),
        SeedTask("Won: Fourth Coffee", (cycle,), numbers={CYCLE_DAYS_FIELD: 52}, completed=True),
        SeedTask("Won: Proseware", (cycle,), numbers={CYCLE_DAYS_FIELD: 49}, completed=True),
        SeedTask("Update CRM field definitions"),
        SeedTask("Sales team offsite agenda", completed=True),
    )
