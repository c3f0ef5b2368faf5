"""deploy/: what can be checked without a container engine or a cluster.

The manifests parse and hang together, every command line they give the image parses against the
real CLI, the files the Dockerfile copies exist, and the config shipped in the ConfigMap validates.
"""

from __future__ import annotations

import configparser
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from syncd.cli.main import app, build_app
from syncd.config.loader import load_config

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "kubernetes"


def _k8s_documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":  # kustomize's own file, not an object for the cluster
            continue
        docs.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return docs


def _by_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for doc in _k8s_documents() if doc["kind"] == kind]


def _cli() -> Any:
    build_app()
    return typer.main.get_command(app)


def _is_group(command: Any) -> bool:
    # Typer ships its own copy of click, so test for the group behaviour rather than a click class.
    return hasattr(command, "resolve_command")


def _assert_cli_accepts(args: list[str]) -> None:
    """Parse `args` with the real `syncd` command tree without running anything."""
    command = _cli()
    assert _is_group(command)
    ctx = command.make_context("syncd", list(args), resilient_parsing=False)
    sub: Any = command
    rest = list(getattr(ctx, "_protected_args", [])) + list(ctx.args)
    # Walk down sub-command groups (`db upgrade`) to the command that takes the options.
    while _is_group(sub) and rest:
        name, sub, rest = sub.resolve_command(ctx, rest)
        assert sub is not None, f"syncd has no command {name!r}"
        ctx = sub.make_context(name or "", rest, parent=ctx)
        rest = list(getattr(ctx, "_protected_args", [])) + list(ctx.args)
    assert not rest, f"unparsed arguments {rest}"


class TestKubernetesManifests:
    """The manifests a cluster admin applies."""

    def test_every_document_names_its_kind_and_name(self) -> None:
        """Each object has apiVersion, kind and metadata.name."""
        docs = _k8s_documents()
        assert {doc["kind"] for doc in docs} >= {
            "ConfigMap",
            "Secret",
            "Deployment",
            "Service",
            "PodDisruptionBudget",
            "Job",
        }
        for doc in docs:
            assert doc.get("apiVersion"), doc
            assert doc["metadata"].get("name"), doc

    def test_deployments_probe_health_and_request_resources(self) -> None:
        """Web and worker Deployments run as non-root with liveness on /healthz, readiness on /readyz, requests."""
        deployments = {doc["metadata"]["name"]: doc for doc in _by_kind("Deployment")}
        assert set(deployments) == {"syncd-web", "syncd-worker"}
        for doc in deployments.values():
            spec = doc["spec"]
            assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
            pod = spec["template"]["spec"]
            assert pod["securityContext"]["runAsNonRoot"] is True
            (container,) = pod["containers"]
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert container["resources"]["requests"]["cpu"]
            assert container["resources"]["requests"]["memory"]

    def test_selectors_find_pods(self) -> None:
        """The Service and each PodDisruptionBudget select the pods of an existing Deployment."""
        pod_labels = [doc["spec"]["template"]["metadata"]["labels"] for doc in _by_kind("Deployment")]
        selectors = [doc["spec"]["selector"] for doc in _by_kind("Service")]
        selectors += [doc["spec"]["selector"]["matchLabels"] for doc in _by_kind("PodDisruptionBudget")]
        for selector in selectors:
            assert any(selector.items() <= labels.items() for labels in pod_labels), selector

    def test_container_commands_parse_with_the_real_cli(self) -> None:
        """Every `args` the manifests give the image is a valid `syncd` command line."""
        containers = [
            c for doc in _by_kind("Deployment") + _by_kind("Job") for c in doc["spec"]["template"]["spec"]["containers"]
        ]
        for container in containers:
            _assert_cli_accepts(container["args"])

    def test_configmap_config_validates_with_the_secret_variables(self, tmp_path: Path) -> None:
        """The shipped syncd.yaml is valid once the Secret's variables are in the environment."""
        (configmap,) = _by_kind("ConfigMap")
        (secret,) = _by_kind("Secret")
        path = tmp_path / "syncd.yaml"
        path.write_text(configmap["data"]["syncd.yaml"])
        config = load_config(path, environ=dict(secret["stringData"]))
        assert [source.name for source in config.sources] == ["acme-github", "acme-asana"]

    def test_every_manifest_is_in_the_kustomization(self) -> None:
        """`kubectl apply -k deploy/kubernetes` applies every file."""
        listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
        assert listed == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}


class TestDockerfile:
    """The image build, checked as text (no container engine runs here)."""

    def _lines(self) -> list[str]:
        text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
        return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]

    def test_copied_files_exist(self) -> None:
        """Every COPY from the build context names a file or folder of the repository."""
        for line in self._lines():
            if line.startswith("COPY") and "--from=" not in line:
                *sources, _dest = line.split()[1:]
                for source in sources:
                    assert (REPO / source).exists(), f"Dockerfile copies missing {source}"

    def test_final_stage_is_slim_non_root_with_healthcheck(self) -> None:
        """The last stage has no build tools, runs as a non-root user and checks /healthz."""
        lines = self._lines()
        last_from = max(i for i, line in enumerate(lines) if line.startswith("FROM"))
        final = lines[last_from:]
        assert "slim" in final[0]
        assert not any("build-essential" in line or "gcc" in line for line in final)
        users = [line.split()[1] for line in final if line.startswith("USER")]
        assert users
        assert users[-1] not in {"root", "0"}
        assert any(line.startswith("HEALTHCHECK") and "/healthz" in line for line in final)

    def test_entrypoint_and_command_parse_with_the_real_cli(self) -> None:
        """ENTRYPOINT + CMD form a valid `syncd` command line."""
        lines = self._lines()
        cmd = next(line for line in reversed(lines) if line.startswith("CMD"))
        entry = next(line for line in reversed(lines) if line.startswith("ENTRYPOINT"))
        assert yaml.safe_load(entry.split(maxsplit=1)[1]) == ["syncd"]
        _assert_cli_accepts(yaml.safe_load(cmd.split(maxsplit=1)[1]))

    def test_entrypoint_runs_from_the_repository(self) -> None:
        """The image's entry point (`syncd`, installed from this repo) runs and lists the run command."""
        result = subprocess.run(
            [sys.executable, "-m", "syncd.cli.main", "run", "--help"], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        assert "--role" in result.stdout


class TestComposeAndSystemd:
    """The single-host deployments."""

    def test_compose_services_commands_and_env(self) -> None:
        """compose.yaml builds from this repo, waits for PostgreSQL and migrations, and reads secrets from .env."""
        compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
        services = compose["services"]
        assert set(services) == {"postgres", "migrate", "syncd"}
        build = services["migrate"]["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).is_file()
        for name in ("migrate", "syncd"):
            assert services[name]["env_file"] == [".env"]
            _assert_cli_accepts(services[name]["command"])
        assert services["syncd"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        example_vars = {
            line.split("=", 1)[0] for line in (DEPLOY / "env.example").read_text().splitlines() if "=" in line
        }
        assert set(re.findall(r"\$\{(\w+)", (DEPLOY / "compose.yaml").read_text())) <= example_vars

    def test_systemd_unit_runs_syncd(self) -> None:
        """The unit migrates, then runs syncd, and reloads with SIGHUP."""
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.read(DEPLOY / "systemd" / "syncd.service")
        service = unit["Service"]
        for key in ("ExecStartPre", "ExecStart"):
            argv = shlex.split(service[key])
            assert argv[0].endswith("/syncd")
            _assert_cli_accepts(argv[1:])
        assert "-HUP" in service["ExecReload"]
        assert unit["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.parametrize("path", sorted(DEPLOY.rglob("*.yaml")), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_yaml_files_parse(path: Path) -> None:
    """Every YAML file under deploy/ parses."""
    assert list(yaml.safe_load_all(path.read_text()))
