"""The simulated Asana's resources as plain mutable records (the simulator's own memory, not an API shape)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class SimUser:
    """A user; the token's owner is `users/me`."""

    gid: str
    name: str
    email: str


@dataclass
class SimWorkspace:
    """A workspace (or organization) holding everything else."""

    gid: str
    name: str


@dataclass
class SimTeam:
    """A team; projects may belong to one."""

    gid: str
    name: str
    workspace: str


@dataclass
class SimSection:
    """A column or heading of one project."""

    gid: str
    name: str
    project: str
    created_at: datetime


@dataclass
class SimProject:
    """A project: its sections in order and the custom fields added to it (custom field settings)."""

    gid: str
    name: str
    workspace: str
    team: str | None
    created_at: datetime
    modified_at: datetime
    sections: list[str] = field(default_factory=list)
    custom_fields: list[str] = field(default_factory=list)
    archived: bool = False


@dataclass
class SimTag:
    """A workspace tag such as `kr:ENG-1.2`."""

    gid: str
    name: str
    workspace: str


@dataclass
class SimEnumOption:
    """One choice of an enum custom field."""

    gid: str
    name: str
    enabled: bool = True
    color: str = "none"


@dataclass
class SimCustomField:
    """A custom field definition: `number` (with `format` `none`/`percentage`), `text` or `enum`."""

    gid: str
    name: str
    subtype: str
    workspace: str
    number_format: str = "none"
    precision: int = 0
    enum_options: list[SimEnumOption] = field(default_factory=list)


@dataclass
class SimTask:
    """A task or subtask; `memberships` maps project gid -> section gid."""

    gid: str
    name: str
    workspace: str
    created_at: datetime
    modified_at: datetime
    projects: list[str] = field(default_factory=list)
    memberships: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    custom_values: dict[str, float | str | None] = field(default_factory=dict)
    completed: bool = False
    completed_at: datetime | None = None
    parent: str | None = None
    assignee: str | None = None
    notes: str = ""
    deleted: bool = False


@dataclass
class SimStory:
    """A comment (`type` comment, editable) or a system story on a task."""

    gid: str
    task: str
    text: str
    html_text: str
    created_at: datetime
    created_by: str | None
    subtype: str = "comment_added"

    @property
    def is_comment(self) -> bool:
        """Comments are the only stories a client may edit."""
        return self.subtype == "comment_added"


@dataclass
class SimGoal:
    """A goal with a number metric (unit `none`, `percentage` or `currency`)."""

    gid: str
    name: str
    workspace: str
    unit: str = "none"
    precision: int = 0
    initial: float = 0.0
    target: float = 100.0
    current: float | None = None
    modified_at: datetime | None = None


@dataclass
class SimWebhook:
    """A webhook: the resource it follows, where it delivers, and the secret agreed in the handshake."""

    gid: str
    resource: str
    target: str
    secret: str
    created_at: datetime
    active: bool = True
    pending: list[dict[str, object]] = field(default_factory=list)
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_failure_content: str = ""
    delivery_retry_count: int = 0
