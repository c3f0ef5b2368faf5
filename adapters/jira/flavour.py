"""Which Jira a source talks to: Cloud (REST v3, ADF comments) or Data Center / Server (REST v2, wiki markup).

`GET /rest/api/2/serverInfo` answers on both (v2 is the one path every deployment serves); its
`deploymentType` is "Cloud" on Cloud and "Server" or "DataCenter" on a self-managed server. Pure: the
client reads the answer once and keeps the `Deployment` this module makes of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: The one request that tells the flavours apart (served by both).
SERVER_INFO = "/rest/api/2/serverInfo"
_TITLES = {"cloud": "Cloud", "datacenter": "Data Center", "server": "Server"}


@dataclass(frozen=True, slots=True)
class Deployment:
    """A site's flavour as `serverInfo` tells it (`kind`: "Cloud", "DataCenter" or "Server")."""

    kind: str
    version: str = ""

    @property
    def cloud(self) -> bool:
        """Whether the site is Jira Cloud (REST v3 and ADF) rather than self-managed (REST v2 and wiki markup)."""
        return self.kind.casefold() == "cloud"

    @property
    def api(self) -> str:
        """The REST prefix syncd uses on this site."""
        return "/rest/api/3" if self.cloud else "/rest/api/2"

    @property
    def title(self) -> str:
        """`Jira Cloud`, `Jira Data Center` or `Jira Server` (with the version when known)."""
        name = _TITLES.get(self.kind.casefold(), self.kind or "Data Center")
        return f"Jira {name}" + (f" {self.version}" if self.version and not self.cloud else "")


def deployment_from(server_info: Mapping[str, Any]) -> Deployment:
    """The deployment a `serverInfo` answer describes; no `deploymentType` (old servers) means Server."""
    kind = server_info.get("deploymentType")
    version = server_info.get("version")
    return Deployment(str(kind) if isinstance(kind, str) and kind else "Server", str(version or ""))
