"""A throwaway PostgreSQL cluster (`initdb` + `pg_ctl`) on its own port, which a test may stop and restart.

    if not cluster_tools_available(): pytest.skip(...)
    with throwaway_cluster() as cluster:
        engine = create_engine(cluster.url)
        cluster.stop(); ...; cluster.start()

As root the tools run as the `postgres` system user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.daemon import free_port


def _as_postgres() -> list[str]:
    """The command prefix that runs a PostgreSQL tool as a user allowed to run it."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def cluster_tools_available() -> str | None:
    """None when a throwaway cluster can be made here, else why not (for a skip reason)."""
    for tool in ("initdb", "pg_ctl"):
        if shutil.which(tool) is None:
            return f"{tool} is not on PATH"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root without runuser"
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run the cluster as"
    return None


class ThrowawayCluster:
    """One PostgreSQL cluster in a temporary directory, listening on 127.0.0.1:`port`, trust auth."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.port = port
        self.data = directory / "data"
        self.log = directory / "postgres.log"

    @property
    def url(self) -> str:
        """The URL of its `postgres` database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([*_as_postgres(), *args], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        """Create the cluster's files."""
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")

    def stop(self) -> None:
        """Stop the server at once (`-m fast`: open connections are cut)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


@contextmanager
def throwaway_cluster() -> Iterator[ThrowawayCluster]:
    """A started throwaway cluster, stopped and deleted afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="syncd-pg-", dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres")
    cluster = ThrowawayCluster(directory, free_port())
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped, or never started
            cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)
