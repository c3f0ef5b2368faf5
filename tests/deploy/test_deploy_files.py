"""deploy/: what can be checked without a container engine or a cluster.

The manifests parse and hang together as the set `kubectl apply -k` applies (rendered by `kubectl kustomize`
where kubectl is installed, as in CI), every command line they give the image parses against the real CLI,
the files the Dockerfile copies exist, one image tag is named everywhere, and the shipped config validates.
`docker build` runs too where a Docker daemon answers.
"""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from adapters.registry import load_config
from syncd.cli.main import app, build_app

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "kubernetes"


VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
IMAGE = f"syncd:{VERSION}"
#: Files beside the manifests that are not applied: kustomize's own, and the example Secret.
NOT_APPLIED = {"kustomization.yaml", "secret.example.yaml"}


def _kustomization() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    return loaded


def _k8s_documents() -> list[dict[str, Any]]:
    """The objects of the files the kustomization lists, as written (before kustomize sets the image tag)."""
    docs: list[dict[str, Any]] = []
    for name in _kustomization()["resources"]:
        docs.extend(doc for doc in yaml.safe_load_all((K8S / name).read_text()) if doc)
    return docs


def _secret_example() -> dict[str, str]:
    (secret,) = [doc for doc in yaml.safe_load_all((K8S / "secret.example.yaml").read_text()) if doc]
    assert secret["kind"] == "Secret"
    return dict(secret["stringData"])


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
        path = tmp_path / "syncd.yaml"
        path.write_text(configmap["data"]["syncd.yaml"])
        config = load_config(path, environ=_secret_example())
        assert [source.name for source in config.sources] == ["acme-github", "acme-asana"]

    def test_every_manifest_is_in_the_kustomization(self) -> None:
        """`kubectl apply -k deploy/kubernetes` applies every file."""
        listed = set(_kustomization()["resources"])
        assert listed == {p.name for p in K8S.glob("*.yaml")} - NOT_APPLIED


@pytest.fixture(scope="module")
def rendered() -> list[dict[str, Any]]:
    """What `kubectl apply -k deploy/kubernetes` would apply, rendered offline by `kubectl kustomize`."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed (CI has it): cannot render the kustomization")
    result = subprocess.run([kubectl, "kustomize", str(K8S)], capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def _pod_specs(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [doc["spec"]["template"]["spec"] for doc in docs if doc["kind"] in {"Deployment", "Job"}]


class TestRenderedKustomization:
    """The manifests as a set, as kustomize renders them for the cluster."""

    def test_applying_the_set_never_overwrites_the_real_secret(self, rendered: list[dict[str, Any]]) -> None:
        """No Secret is applied; every pod reads the one the admin created, whose keys the example documents."""
        assert "Secret" not in {doc["kind"] for doc in rendered}
        for pod in _pod_specs(rendered):
            for container in pod.get("initContainers", []) + pod["containers"]:
                assert container["envFrom"] == [{"secretRef": {"name": "syncd-secrets"}}]
        example_env = {
            line.split("=", 1)[0] for line in (DEPLOY / "env.example").read_text().splitlines() if "=" in line
        }
        assert set(_secret_example()) <= example_env, "env.example must hold every variable of the Secret"

    def test_every_image_is_the_package_version(self, rendered: list[dict[str, Any]]) -> None:
        """One tag everywhere: the kustomization, compose and the Dockerfile's build command name `syncd:VERSION`."""
        images = {c["image"] for pod in _pod_specs(rendered) for c in pod.get("initContainers", []) + pod["containers"]}
        assert images == {IMAGE}
        compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
        assert {service["image"] for name, service in compose["services"].items() if name != "postgres"} == {IMAGE}
        assert f"-t {IMAGE} ." in (DEPLOY / "Dockerfile").read_text()

    def test_pods_wait_for_the_migration_job(self, rendered: list[dict[str, Any]]) -> None:
        """Deployments start `--no-migrate` behind an init container running `syncd db wait`; the Job migrates and
        removes itself once finished, so the next release's apply can create it again (a Job's template is immutable)."""
        for doc in rendered:
            pod = doc["spec"]["template"]["spec"] if doc["kind"] in {"Deployment", "Job"} else None
            if doc["kind"] == "Deployment":
                (container,) = pod["containers"]
                assert "--no-migrate" in container["args"]
                (init,) = pod["initContainers"]
                assert init["args"][:2] == ["db", "wait"]
                _assert_cli_accepts(init["args"])
                assert init["volumeMounts"] == container["volumeMounts"]
            if doc["kind"] == "Job":
                assert pod["containers"][0]["args"] == ["db", "upgrade"]
                assert doc["spec"]["ttlSecondsAfterFinished"] > 0

    def test_rendered_objects_are_complete(self, rendered: list[dict[str, Any]]) -> None:
        """Each object has apiVersion, kind and a name, and every pod mounts only volumes it declares."""
        assert {doc["kind"] for doc in rendered} == {"ConfigMap", "Deployment", "Service", "PodDisruptionBudget", "Job"}
        for doc in rendered:
            assert doc["apiVersion"], doc
            assert doc["metadata"]["name"], doc
        for pod in _pod_specs(rendered):
            declared = {volume["name"] for volume in pod["volumes"]}
            for container in pod.get("initContainers", []) + pod["containers"]:
                assert {mount["name"] for mount in container["volumeMounts"]} <= declared


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

    def test_healthcheck_asks_the_port_the_server_listens_on(self) -> None:
        """The HEALTHCHECK reads the same SYNCD_PORT that `syncd run` listens on: no port written twice."""
        lines = self._lines()
        env = next(line for line in lines if line.startswith("ENV") and "SYNCD_PORT=" in line)
        assert "SYNCD_PORT=8080" in env
        health = next(line for line in lines if line.startswith("HEALTHCHECK"))
        assert "SYNCD_PORT" in health
        assert "8080/healthz" not in health
        cmd = next(line for line in reversed(lines) if line.startswith("CMD"))
        assert "--port" not in cmd, "the port comes from SYNCD_PORT, not from the command line"

    def test_dockerignore_keeps_the_context_small(self) -> None:
        """A build from the root sends no virtualenv, tests or caches: everything is ignored but what is copied."""
        patterns = [
            line.strip()
            for line in (REPO / ".dockerignore").read_text().splitlines()
            if line.strip()[:1] not in {"", "#"}
        ]
        assert patterns[0] == "*"
        admitted = {p.removeprefix("!").rstrip("/") for p in patterns if p.startswith("!")}
        copied = {
            source.rstrip("/")
            for line in self._lines()
            if line.startswith("COPY") and "--from=" not in line
            for source in line.split()[1:-1]
        }
        for source in copied:
            assert any(source == a or source.startswith(f"{a}/") for a in admitted), (
                f"{source} is not sent to the build"
            )
        assert not admitted & {".venv", "tests", ".git"}

    def test_docker_build(self, tmp_path: Path) -> None:
        """`docker build` of the image, where a Docker daemon answers (not on this CI machine: it has no daemon)."""
        docker = shutil.which("docker")
        if docker is None or subprocess.run([docker, "info"], capture_output=True, check=False).returncode != 0:
            pytest.skip("no Docker daemon answers here: the image build is checked as text only")
        result = subprocess.run(
            [docker, "build", "-f", str(DEPLOY / "Dockerfile"), "-t", IMAGE, str(REPO)],
            capture_output=True,
            text=True,
            check=False,
            timeout=900,
        )
        assert result.returncode == 0, result.stderr[-2000:]

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
