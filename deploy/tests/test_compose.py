"""docker-compose.yml parses and wires every service the way its code reads its config."""

import re

import pytest

from conftest import REPO, load_yaml

COMPOSE = load_yaml("docker-compose.yml")
COMPOSE_TEXT = (REPO / "docker-compose.yml").read_text()
ENV_EXAMPLE = {
    line.split("=", 1)[0]
    for line in (REPO / "deploy/compose.env.example").read_text().splitlines()
    if line and not line.startswith("#")
}
VARIABLE = re.compile(r"\$\{(\w+)(?::?[-?][^}]*)?\}")


def service_env(name):
    return {k: str(v) for k, v in COMPOSE["services"][name]["environment"].items()}


def test_every_workspace_service_is_in_compose_built_from_the_dockerfile(services):
    for service in services:
        spec = COMPOSE["services"][service]
        assert spec["build"]["dockerfile"] == "deploy/Dockerfile"
        assert spec["build"]["context"] == "."
        assert spec["build"]["args"]["SERVICE"] == service
        assert {"VERSION", "COMMIT"} <= set(spec["build"]["args"])
        assert spec["read_only"] is True


@pytest.mark.parametrize("key", ["HOTLINE_OPS__LISTEN", "HOTLINE_NATS__URL", "OTEL_EXPORTER_OTLP_ENDPOINT"])
def test_every_service_has_the_common_settings(services, key):
    for service in services:
        assert key in service_env(service), (service, key)
    for service in services:
        env = service_env(service)
        assert env["HOTLINE_OPS__LISTEN"] == "0.0.0.0:9090"
        assert env["HOTLINE_NATS__URL"] == "nats://nats:4222"
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"


def test_every_service_uses_its_own_database_role(services):
    roles = (REPO / "deploy/postgres/roles.sql").read_text()
    for service in services:
        role = "hotline_" + service.replace("-", "_")
        assert f"'{service.replace('-', '_')}'" in roles, f"{role} is not made by roles.sql"
        url = service_env(service)["HOTLINE_DATABASE__URL"]
        variable = f"PG_{service.upper().replace('-', '_')}_PASSWORD"
        assert re.fullmatch(
            rf"postgres://{role}:\$\{{{variable}:\?[^}}]*\}}@postgres:5432/hotline", url
        ), url
        assert variable in COMPOSE["services"]["postgres"]["environment"]


def test_every_service_connects_as_a_nats_user_of_auth_conf(services, users):
    for service in services:
        env = service_env(service)
        user = env["HOTLINE_NATS__USER"]
        assert user == service
        assert user in users, f"{user} is no user of deploy/nats/auth.conf"
        assert VARIABLE.fullmatch(env["HOTLINE_NATS__PASSWORD"]).group(1) == users[user]


def test_nats_gets_every_password_auth_conf_reads(users):
    nats = COMPOSE["services"]["nats"]
    for variable in users.values():
        assert variable in nats["environment"], variable
    assert nats["command"] == ["-c", "/etc/nats/server.conf", "-js", "-sd", "/data/jetstream", "-m", "8222"]
    assert "./deploy/nats:/etc/nats:ro" in nats["volumes"]


def test_nats_image_is_the_pinned_server():
    pinned = re.search(r'^NATS_VERSION="([\d.]+)"', (REPO / "scripts/lib.sh").read_text(), re.M)
    assert COMPOSE["services"]["nats"]["image"] == f"nats:{pinned.group(1)}" == "nats:2.14.6"


def test_intake_and_gateway_get_their_own_settings():
    intake = service_env("intake")
    for key in ("HOTLINE_INTAKE__PHONE_HASH_KEY", "HOTLINE_INTAKE__VAULT__KEYS", "HOTLINE_INTAKE__VAULT__ACTIVE_KEY"):
        assert VARIABLE.fullmatch(intake[key]), f"{key} must come from .env"
    assert intake["HOTLINE_HTTP__LISTEN"] == "0.0.0.0:8081"
    gateway = service_env("gateway")
    assert gateway["HOTLINE_HTTP__LISTEN"] == "0.0.0.0:8080"
    assert gateway["HOTLINE_GATEWAY__INTAKE_URL"] == "http://intake:8081"
    assert "127.0.0.1:8080:8080" in COMPOSE["services"]["gateway"]["ports"]


def test_every_variable_is_documented_in_the_env_example():
    used = set(VARIABLE.findall(COMPOSE_TEXT))
    assert used, "no ${VARIABLES} found"
    assert used <= ENV_EXAMPLE, sorted(used - ENV_EXAMPLE)


def test_observability_stack_is_there():
    for name in ("postgres", "otel-collector", "jaeger", "prometheus"):
        assert name in COMPOSE["services"], name
    assert COMPOSE["services"]["postgres"]["image"].startswith("postgres:15")
    assert COMPOSE["services"]["otel-collector"]["image"].startswith("otel/opentelemetry-collector-contrib:")
    assert COMPOSE["services"]["jaeger"]["image"].startswith("jaegertracing/all-in-one:")
    collector = load_yaml("deploy/otel/collector.yaml")
    assert collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")
    assert collector["exporters"]["otlp/jaeger"]["endpoint"] == "jaeger:4317"
    assert collector["service"]["pipelines"]["traces"]["exporters"] == ["otlp/jaeger"]


def test_prometheus_scrapes_and_probes_every_service_and_loads_the_alerts(services):
    config = load_yaml("deploy/prometheus/prometheus.yml")
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    scraped = {t for s in jobs["hotline"]["static_configs"] for t in s["targets"]}
    probed = {t for s in jobs["readyz"]["static_configs"] for t in s["targets"]}
    assert scraped == {f"{s}:9090" for s in services}
    assert probed == {f"http://{s}:9090/readyz" for s in services}
    assert "./deploy/prometheus:/etc/prometheus:ro" in COMPOSE["services"]["prometheus"]["volumes"]


def test_postgres_init_sets_a_password_for_every_role(services):
    script = (REPO / "deploy/compose/postgres-init.sh").read_text()
    listed = re.search(r"for service in ([\w ]+); do", script).group(1).split()
    assert sorted(listed) == sorted(s.replace("-", "_") for s in services)
