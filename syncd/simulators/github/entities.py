"""The simulated GitHub's records: repositories, issues (and pull requests), labels, comments, hooks, projects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class SimLabel:
    """A repository label; issues refer to it by name, so a rename shows on every issue at once."""

    id: int
    name: str
    color: str = "ededed"
    description: str = ""


@dataclass
class SimIssue:
    """An issue, or a pull request (`is_pull`), as GitHub's issues API sees it."""

    repo: str
    number: int
    id: int
    title: str
    body: str
    author: str
    created_at: datetime
    updated_at: datetime
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    state: str = "open"
    state_reason: str | None = None
    closed_at: datetime | None = None
    is_pull: bool = False
    draft: bool = False
    merged_at: datetime | None = None
    comment_count: int = 0
    #: Bumped on every change so rendered JSON can be cached per version.
    version: int = 0
    deleted: bool = False
    #: `owner/repo#number` it moved to; GET on the old address answers 301.
    transferred_to: str | None = None

    @property
    def key(self) -> str:
        """`owner/repo#number`."""
        return f"{self.repo}#{self.number}"


@dataclass
class SimComment:
    """An issue comment (ids are global across repositories, as on GitHub)."""

    id: int
    repo: str
    issue_number: int
    body: str
    author: str
    created_at: datetime
    updated_at: datetime


@dataclass
class SimHook:
    """A repository webhook registered through the REST API."""

    id: int
    repo: str
    url: str
    secret: str | None
    events: list[str]
    active: bool
    content_type: str
    insecure_ssl: str
    created_at: datetime
    updated_at: datetime


@dataclass
class SimRepo:
    """A repository with its issues, labels and hooks."""

    id: int
    full_name: str
    labels: dict[str, SimLabel] = field(default_factory=dict)  # by lower-cased name
    issues: dict[int, SimIssue] = field(default_factory=dict)
    hooks: dict[int, SimHook] = field(default_factory=dict)
    next_number: int = 1
    installation_id: int | None = None

    @property
    def owner(self) -> str:
        """The owner's login."""
        return self.full_name.partition("/")[0]

    @property
    def name(self) -> str:
        """The repository's name without its owner."""
        return self.full_name.partition("/")[2]


@dataclass
class SimProjectField:
    """A Projects v2 field (`NUMBER` or `TEXT`)."""

    id: str
    name: str
    data_type: str


@dataclass
class SimProjectItem:
    """An issue's item in a project, with its field values by field id."""

    id: str
    repo: str
    number: int
    values: dict[str, float | str] = field(default_factory=dict)


@dataclass
class SimProject:
    """A Projects v2 project (addressed by its node id)."""

    id: str
    title: str
    fields: dict[str, SimProjectField] = field(default_factory=dict)  # by name
    items: dict[str, SimProjectItem] = field(default_factory=dict)  # by item id


@dataclass
class SimApp:
    """A GitHub App: its public key checks the JWTs signed with the private key the adapter holds."""

    app_id: int
    public_key_pem: str
    installations: dict[int, list[str]] = field(default_factory=dict)  # installation id -> repos


@dataclass(frozen=True)
class TokenGrant:
    """Who a bearer token speaks for, and until when (None: a personal token that never expires)."""

    login: str
    expires_at: datetime | None = None
    installation_id: int | None = None
