"""The sandbox's seeded company, as plain data: Acme's current quarter, its OKRs, tasks and check-ins.

One cycle (the quarter containing `today`, so status words mean something), three objectives, eight
key results covering every measure (tasks, tasks weighted by points, count, metric from check-ins
rising and falling, metric from the sum and the average of a number field), about sixty tasks of three
teams, a few of them with misspelled `kr:` labels. The tasks are in no tracker's terms
(`syncd.simulators.sandbox.SeedItem`): `syncd.sandbox.spread` deals them out over the registered
trackers. Items the story touches later carry a `key` so the story can find them again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from syncd.simulators.sandbox import SeedCompany, SeedGoal, SeedItem, SeedState

#: The teams whose work the tasks are (a repository or a project each, as a tracker groups work).
WEB, API, SALES = "web", "api", "sales"
PIPELINE_FIELD = "Pipeline (k$)"
CYCLE_DAYS_FIELD = "Sales cycle (days)"
GOAL_NAME = "Mid-market pipeline"
GOAL_KR = "GTM-1.2"


@dataclass(frozen=True)
class Cycle:
    """The quarter the sandbox runs in."""

    id: str
    title: str
    start: date
    end: date


@dataclass(frozen=True)
class SeedCheckIn:
    """A metric value reported by hand before the story starts."""

    kr_id: str
    value: float
    note: str


@dataclass(frozen=True)
class Company:
    """Everything the sandbox seeds: OKRs (in the config's YAML shape), tasks, check-ins, the goal."""

    name: str
    cycle: Cycle
    objectives: tuple[dict[str, Any], ...]
    items: tuple[SeedItem, ...]
    checkins: tuple[SeedCheckIn, ...]
    misspelled_labels: tuple[str, ...]
    number_fields: tuple[str, ...] = ()
    goal: SeedGoal | None = None

    @property
    def seed(self) -> SeedCompany:
        """What every tracker's share has in common."""
        return SeedCompany(self.name, self.number_fields, self.goal)

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
        items=_web_items() + _api_items() + _sales_items(),
        checkins=(
            SeedCheckIn("ENG-1.3", 41, "weekly product analytics"),
            SeedCheckIn("ENG-2.2", 780, "p95 over the last 7 days"),
        ),
        misspelled_labels=("kr:ENG-12", "kr:GMT-1.1"),
        number_fields=(PIPELINE_FIELD, CYCLE_DAYS_FIELD),
        goal=SeedGoal(GOAL_KR, GOAL_NAME, target=400),
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


def _web(title: str, *labels: str, change: bool = False, state: SeedState = "open", key: str | None = None) -> SeedItem:
    return SeedItem(title, labels, state, team=WEB, change=change, key=key)


def _web_items() -> tuple[SeedItem, ...]:
    signup, setup = "kr:ENG-1.1", "kr:ENG-1.2"
    return (
        _web("Signup form validation", signup, change=True, key="signup-validation"),
        _web("Email verification link", signup, state="done"),
        _web("Password-less sign-in", key="passwordless"),
        _web("Social login with Google", signup, state="done"),
        _web("Signup analytics events", signup, state="in_progress"),
        _web("Signup page copy review", signup, state="done"),
        _web("Rate-limit signup attempts", signup, change=True, state="done"),
        _web("Terms of service checkbox", signup),
        _web("Mobile layout of the signup page", signup),
        _web("Captcha on signup", signup, state="dropped"),
        _web("Setup checklist UI", setup, "points:5", state="done"),
        _web("Invite teammates step", setup, "points:3", state="in_progress"),
        _web("Sample project template", setup, "points:2"),
        _web("Remember the last workspace", "kr:ENG-12", "points:2", key="misspelled-eng"),
        _web("Upgrade React to 19", "dependencies"),
        _web("Fix flaky end-to-end test", "tests"),
        _web("Dark mode toggle", "enhancement"),
        _web("Update README screenshots", "docs", state="done"),
        _web("Architecture diagram for new hires", "docs"),
        _web("Bump eslint config", "dependencies", change=True, state="done"),
    )


def _api(title: str, *labels: str, change: bool = False, state: SeedState = "open", key: str | None = None) -> SeedItem:
    return SeedItem(title, labels, state, team=API, change=change, key=key)


def _api_items() -> tuple[SeedItem, ...]:
    setup, bugs, latency = "kr:ENG-1.2", "kr:ENG-2.1", "kr:ENG-2.2"
    return (
        _api("Setup wizard API", setup, "points:5", key="setup-wizard"),
        _api("Migrate setup to the v1 API", setup, "points:3", key="setup-migration"),
        _api("Workspace defaults endpoint", setup, "points:3", state="done"),
        _api("Seed data service", setup, "points:8"),
        _api("Setup progress webhooks", setup, "points:2", change=True, state="done"),
        _api("500 on empty search", bugs, "bug", state="done"),
        _api("Timezone off by one in reports", bugs, "bug", state="done"),
        _api("Duplicate invoices on retry", bugs, "bug", state="done"),
        _api("CSV export drops accented letters", bugs, "bug", state="done"),
        _api("Slow login for SSO users", bugs, "bug", state="done"),
        _api("Pagination skips the last page", bugs, "bug"),
        _api("Webhook retries never stop", bugs, "bug"),
        _api("Rounding error in invoice totals", bugs, "bug"),
        _api("Search returns 500 again", bugs, "bug", state="dropped"),
        _api("Crash when exporting a large CSV", "bug", key="csv-crash"),
        _api("Cache session lookups", latency, state="in_progress"),
        _api("Index the events table", latency, change=True, state="done"),
        _api("Bump dependencies", "dependencies", change=True, state="done"),
        _api("Refactor auth middleware", "tech-debt"),
        _api("Log request ids", "observability", state="done"),
    )


def _sales(
    title: str, *labels: str, state: SeedState = "open", numbers: dict[str, float] | None = None, key: str | None = None
) -> SeedItem:
    return SeedItem(title, labels, state, numbers or {}, team=SALES, key=key)


def _sales_items() -> tuple[SeedItem, ...]:
    playbook, pipeline, cycle = "kr:GTM-1.1", "kr:GTM-1.2", "kr:GTM-1.3"
    return (
        _sales("Write the discovery call script", playbook, state="done"),
        _sales("Build the ROI calculator", playbook, state="done"),
        _sales("Competitive battlecards", playbook, key="battlecards"),
        _sales("Pricing objection handling", playbook, state="in_progress"),
        _sales("Case study: Fabrikam", playbook, state="done"),
        _sales("Demo workspace with sample data", playbook, state="in_progress", key="demo-workspace"),
        _sales("Security questionnaire answers", playbook),
        _sales("Onboarding handoff checklist", playbook, state="dropped"),
        _sales("Partner referral one-pager", "kr:GMT-1.1", key="misspelled-gtm"),
        _sales("Deal: Northwind Logistics", pipeline, numbers={PIPELINE_FIELD: 60}, key="northwind"),
        _sales("Deal: Contoso pilot", pipeline, state="in_progress", numbers={PIPELINE_FIELD: 80}, key="contoso"),
        _sales("Deal: Tailspin Toys", pipeline, numbers={PIPELINE_FIELD: 45}),
        _sales("Deal: Wide World Importers", pipeline, state="in_progress", numbers={PIPELINE_FIELD: 70}),
        _sales("Deal: Litware renewal", pipeline, numbers={PIPELINE_FIELD: 30}),
        _sales("Won: Adventure Works", cycle, state="done", numbers={CYCLE_DAYS_FIELD: 58}),
        _sales("Won: Fourth Coffee", cycle, state="done", numbers={CYCLE_DAYS_FIELD: 52}),
        _sales("Won: Proseware", cycle, state="done", numbers={CYCLE_DAYS_FIELD: 49}),
        _sales("Update CRM field definitions"),
        _sales("Sales team offsite agenda", state="done"),
    )
