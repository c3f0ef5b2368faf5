"""A table of GitLab's documented request parameters, read from its own reference pages in
../shared/vendor-data/gitlab-api-docs/doc/api/ (issues.md, merge_requests.md, notes.md, project_webhooks.md),
and the check of a logged request against it.

Each page section names its endpoints in a `plaintext` block (`GET /projects/:id/issues`) and its parameters
in a table (`| \\`updated_after\\` | datetime | No | ... |`); `page` and `per_page` are documented for every
list in rest/_index.md (Pagination). A request conforms when its path matches a documented endpoint of its
method and every query (and JSON body) parameter it sends is in that endpoint's table; `state`, `order_by` and
`sort` values must also be named in the parameter's description.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import VENDOR_DATA

DOCS = VENDOR_DATA / "gitlab-api-docs" / "doc" / "api"
PAGES = ("issues.md", "merge_requests.md", "notes.md", "project_webhooks.md")
#: Endpoints syncd calls whose reference pages (users, personal access tokens, projects, groups) are not in the
#: vendor data: requests to them are listed, not judged.
UNCOPIED = ("GET /user", "GET /personal_access_tokens/self", "GET /projects/:id", "GET /groups/:id/projects")
VALUED = ("state", "order_by", "sort")
_ENDPOINT = re.compile(r"^(GET|POST|PUT|DELETE) (/[^\s?]+)")
_ROW = re.compile(r"^\|\s*`([a-z_\[\]]+)`\s*\|[^|]*\|[^|]*\|(.*)\|\s*$")


@dataclass
class Endpoint:
    """One documented endpoint: method, path template, and its parameters with their descriptions."""

    method: str
    template: str
    parameters: dict[str, str] = field(default_factory=dict)

    def matches(self, method: str, path: str) -> bool:
        """Whether a request's method and (encoded) path are this endpoint's."""
        pattern = "^" + re.sub(r":[a-z_]+", "[^/]+", self.template) + "$"
        return method == self.method and re.match(pattern, path) is not None


def endpoints(folder: Path = DOCS) -> list[Endpoint]:
    """Every endpoint the pages document, with the parameter table of its section."""
    found: list[Endpoint] = []
    for name in PAGES:
        for section in re.split(r"\n#{2,4} ", (folder / name).read_text()):
            found += _section(section)
    return found


def _section(text: str) -> list[Endpoint]:
    blocks = re.findall(r"```plaintext\n(.*?)```", text, flags=re.S)
    templates = {(m[1], m[2]) for block in blocks for line in block.splitlines() if (m := _ENDPOINT.match(line))}
    parameters = {m[1]: m[2] for line in text.splitlines() if (m := _ROW.match(line))}
    parameters |= {"page": "pagination", "per_page": "pagination"}
    return [Endpoint(method, template, dict(parameters)) for method, template in sorted(templates)]


@dataclass(frozen=True)
class Sent:
    """A request as the simulator logged it: method, path under /api/v4 (project ids encoded), query, body."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    body: Any


def problems(table: Iterable[Endpoint], requests: Iterable[Sent]) -> tuple[list[str], set[str]]:
    """Why each request does not follow the pages, and the undocumented-here endpoints that were called."""
    table = list(table)
    found: list[str] = []
    uncopied: set[str] = set()
    for request in requests:
        path = request.path.split("?")[0]
        where = f"{request.method} {urllib.parse.unquote(path)}"
        match = next((e for e in table if e.matches(request.method, path)), None)
        if match is None:
            generic = re.sub(r"^/(projects|groups)/[^/]+", r"/\1/:id", path)
            if f"{request.method} {generic}" in UNCOPIED:
                uncopied.add(f"{request.method} {generic}")
            else:
                found.append(f"{where}: no documented endpoint")
            continue
        sent = [key for key, _ in request.query] + (list(request.body) if isinstance(request.body, dict) else [])
        found += [f"{where}: {key!r} is not a documented parameter of {match.template}"
                  for key in sent if key not in match.parameters]  # fmt: skip
        for key, value in request.query:
            if key in VALUED and key in match.parameters and not re.search(rf"\b{value}\b", match.parameters[key]):
                found.append(f"{where}: {key}={value} is not a value the page names")
    return found, uncopied
