"""Static checks of deploy/: the files parse, name only settings the code reads,
probe routes that exist, and run the command the gunicorn test runs."""
from __future__ import annotations

import json
import re
import runpy

import pytest
import yaml

from service.app import create_app
from service.cli import COMMANDS
from service.config import Config
from tests.deploy.production import DEPLOY, GUNICORN_COMMAND, PROJECTION_COMMAND, ROOT


def known_settings() -> set[str]:
    """Environment variables something actually reads: service/config.py, the
    gunicorn file, and prometheus-client's multiprocess directory."""
    config = (ROOT / "service" / "config.py").read_text()
    gunicorn = (DEPLOY / "gunicorn.conf.py").read_text()
    names = set(re.findall(r'"(CASETRAIL_[A-Z_]+)"', config))
    names |= set(re.findall(r'environ\.get\("([A-Z_]+)"', gunicorn))
    return names | {"PROMETHEUS_MULTIPROC_DIR"}


def manifests() -> list[dict]:
    docs = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        docs += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return docs


def of_kind(kind: str) -> list[dict]:
    return [doc for doc in manifests() if doc["kind"] == kind]


def deployment(name: str) -> dict:
    return next(d for d in of_kind("Deployment") if d["metadata"]["name"] == name)


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def dockerfile_instruction(name: str) -> list[str]:
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    return [line.split(None, 1)[1] for line in text.splitlines() if line.startswith(name + " ")]


# ---- gunicorn ---------------------------------------------------------------------
def test_gunicorn_builds_the_app_after_the_fork_with_threads():
    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert conf["wsgi_app"] == "service.wsgi:create_app_waiting_for_database()"
    assert conf["preload_app"] is False
    assert conf["worker_class"] == "gthread"
    assert conf["workers"] >= 1 and conf["threads"] >= 1
    assert 0 < conf["graceful_timeout"] < 30
    assert callable(conf["child_exit"]) and callable(conf["on_starting"])


# ---- Dockerfile ---------------------------------------------------------------------
def test_dockerfile_runs_the_tested_command_as_a_non_root_user():
    assert json.loads(dockerfile_instruction("CMD")[-1]) == GUNICORN_COMMAND
    assert dockerfile_instruction("FROM")[-1].startswith("python:3.11-slim")
    user = dockerfile_instruction("USER")[-1].split(":")[0]
    assert user not in ("root", "0")
    assert "/healthz" in dockerfile_instruction("HEALTHCHECK")[-1]


def test_every_folder_of_code_is_an_installed_package():
    # A folder without __init__.py imports from a checkout (the tests run there) but
    # is left out of the installed package: `casetrail` then fails at import.
    from setuptools import find_packages

    installed = set(find_packages(str(ROOT), include=["domain*", "store*", "application*", "auth*",
                                                      "projections*", "service*"]))
    folders = {".".join(p.parent.relative_to(ROOT).parts) for layer in ("domain", "store", "application", "auth",
                                                                        "projections", "service")
               for p in (ROOT / layer).rglob("*.py")}
    assert folders <= installed


def test_dockerfile_copies_every_installed_package():
    setup = (ROOT / "setup.cfg").read_text()
    found = setup.split("[options.packages.find]")[1].split("\n[")[0]
    packages = {p for p in re.findall(r"^    ([a-z_]+)$", found, re.M)}
    copied = {line.split()[0] for line in dockerfile_instruction("COPY")}
    assert packages and packages <= copied


# ---- compose --------------------------------------------------------------------------
def test_compose_runs_postgres_api_and_a_separate_projection_runner():
    services = compose()["services"]
    assert {"postgres", "api", "projections", "keycloak"} <= set(services)
    assert services["projections"]["command"] == PROJECTION_COMMAND
    assert services["keycloak"]["profiles"] == ["oidc"]
    assert "ports" in services["api"] and services["api"]["build"]["dockerfile"] == "deploy/Dockerfile"


def test_compose_names_only_settings_the_code_reads():
    services = compose()["services"]
    for name in ("api", "projections"):
        unknown = set(services[name]["environment"]) - known_settings()
        assert not unknown, f"{name} sets {unknown}, which nothing reads"
    assert services["api"]["environment"]["CASETRAIL_INPROCESS_PROJECTIONS"] == "0"


# ---- Kubernetes -------------------------------------------------------------------------
def test_manifests_parse_and_hold_every_piece():
    kinds = [doc["kind"] for doc in manifests()]
    for kind in ("Deployment", "Service", "Secret", "ConfigMap", "PodDisruptionBudget", "NetworkPolicy"):
        assert kind in kinds
    listed = set(yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())["resources"])
    assert listed == {p.name for p in (DEPLOY / "k8s").glob("*.yaml")} - {"kustomization.yaml"}


def test_config_map_and_secret_name_only_settings_the_code_reads():
    for kind in ("ConfigMap", "Secret"):
        for doc in of_kind(kind):
            keys = set(doc.get("data") or {}) | set(doc.get("stringData") or {})
            assert keys and not keys - known_settings(), f"{kind} sets {keys - known_settings()}"


def test_api_runs_the_tested_command_and_the_runner_runs_project():
    api = deployment("casetrail-api")["spec"]["template"]["spec"]["containers"][0]
    runner = deployment("casetrail-projections")["spec"]["template"]["spec"]["containers"][0]
    assert api["command"] == GUNICORN_COMMAND
    assert runner["command"] == PROJECTION_COMMAND

    if "project" not in COMMANDS:
        pytest.skip("`casetrail project` is not registered yet")


@pytest.fixture
def app(tmp_path):
    app = create_app(Config(database_url=f"sqlite:///{tmp_path / 'probe.sqlite'}", var_dir=tmp_path / "var",
                            run_projections_in_process=False))
    yield app
    app.extensions["casetrail.services"].close()


def test_probes_point_to_real_public_routes_on_the_served_port(app):
    spec = deployment("casetrail-api")["spec"]["template"]["spec"]
    container = spec["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    client = app.test_client()
    probes = {"readinessProbe": "/readyz", "livenessProbe": "/healthz"}
    for probe, path in probes.items():
        http = container[probe]["httpGet"]
        assert http["path"] == path and http["port"] in ports
        assert client.get(path).status_code == 200  # no token needed
    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert conf["bind"].endswith(f":{ports['http']}")
    assert spec["terminationGracePeriodSeconds"] > conf["graceful_timeout"]


def test_budget_policies_and_service_select_the_pods_that_exist():
    labels = {d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"] for d in of_kind("Deployment")}

    def selects(selector: dict) -> set[str]:
        return {name for name, have in labels.items() if selector.items() <= have.items()}

    assert selects(of_kind("PodDisruptionBudget")[0]["spec"]["selector"]["matchLabels"]) == {"casetrail-api"}
    assert selects(of_kind("Service")[0]["spec"]["selector"]) == {"casetrail-api"}
    for policy in of_kind("NetworkPolicy"):
        assert selects(policy["spec"]["podSelector"]["matchLabels"]), policy["metadata"]["name"]
    budget = of_kind("PodDisruptionBudget")[0]["spec"]["minAvailable"]
    assert budget < deployment("casetrail-api")["spec"]["replicas"]


def test_containers_run_as_non_root_with_a_read_only_root():
    for name in ("casetrail-api", "casetrail-projections"):
        pod = deployment(name)["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True
