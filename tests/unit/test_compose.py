"""docker-compose.yml and the Dockerfile, checked without a Docker engine."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from streams.commands.simulate import simulate
from streams.commands.topics import topics
from streams.commands.worker import worker

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]
PROMETHEUS = yaml.safe_load((ROOT / "prometheus" / "prometheus.yml").read_text(encoding="utf-8"))
_DEFAULT = re.compile(r"\$\{(\w+):-([^}]*)\}")


def _interpolate(text: str) -> str:
    """What compose makes of ``${VAR:-default}`` when VAR is unset."""
    return _DEFAULT.sub(lambda m: m.group(2), text)


def _container_ports(service: str) -> set[int]:
    """Ports a service listens on inside the network: published ones and the ones its config names."""
    spec = SERVICES[service]
    ports = {int(str(p).split(":")[-1]) for p in spec.get("ports", ())}
    env = spec.get("environment", {})
    for key in ("TRENDWATCH_METRICS_PORT", "HTTP_PORT"):
        if key in env:
            ports.add(int(env[key]))
    return ports


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


def test_compose_file_satisfies_the_compose_spec_schema():
    schema = json.loads((ROOT / "tests" / "schemas" / "compose-spec.schema.json").read_text(encoding="utf-8"))
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(COMPOSE))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors)


def test_the_schema_catches_a_broken_service():
    schema = json.loads((ROOT / "tests" / "schemas" / "compose-spec.schema.json").read_text(encoding="utf-8"))
    broken = yaml.safe_load(COMPOSE_TEXT)
    broken["services"]["grafana"]["depends_on"]["prometheus"]["condition"] = "service_ready"
    broken["services"]["kafka"]["healtcheck"] = broken["services"]["kafka"].pop("healthcheck")
    assert len(list(jsonschema.Draft7Validator(schema).iter_errors(broken))) >= 2


def test_the_stack_has_every_part():
    assert {"kafka", "topics", "simulator", "worker-1", "worker-2", "prometheus", "alertmanager",
            "grafana"} <= set(SERVICES)


def test_every_image_is_pinned():
    for name, spec in SERVICES.items():
        image = spec["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and tag and tag != "latest" and "/" not in tag, f"{name}: {image}"
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    (base,) = re.findall(r"^FROM\s+(\S+)", dockerfile, re.M)
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", base), base


def test_app_services_use_the_locally_built_image_of_this_version():
    from streams import __version__
    for name in ("topics", "simulator", "worker-1", "worker-2"):
        assert SERVICES[name]["build"] == "." and SERVICES[name]["image"] == f"trendwatch:{__version__}"


def test_prometheus_scrapes_services_and_ports_that_exist():
    targets = [t for job in PROMETHEUS["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]]
    targets += [t for am in PROMETHEUS["alerting"]["alertmanagers"]
                for sc in am["static_configs"] for t in sc["targets"]]
    assert "worker-1:9464" in targets and "worker-2:9464" in targets
    for target in targets:
        host, port = _host_port(target)
        service = "prometheus" if host == "localhost" else host
        assert service in SERVICES, target
        assert port in _container_ports(service), target


def test_grafana_datasource_and_alert_webhook_point_at_existing_services():
    datasources = yaml.safe_load((ROOT / "grafana/provisioning/datasources/prometheus.yml").read_text())["datasources"]
    alertmanager = yaml.safe_load((ROOT / "prometheus" / "alertmanager.yml").read_text(encoding="utf-8"))
    urls = [d["url"] for d in datasources]
    urls += [w["url"] for r in alertmanager["receivers"] for w in r.get("webhook_configs", ())]
    for url in urls:
        parts = urlsplit(url)
        assert parts.hostname in SERVICES, url
        assert parts.port in _container_ports(parts.hostname), url


def test_grafana_password_comes_from_the_environment_without_default():
    value = SERVICES["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"]
    assert re.fullmatch(r"\$\{GRAFANA_ADMIN_PASSWORD:\?[^}]+\}", value), value


def test_no_password_or_secret_has_a_default():
    for name, spec in SERVICES.items():
        for key, value in spec.get("environment", {}).items():
            if any(word in key for word in ("PASSWORD", "SECRET", "TOKEN")):
                assert re.fullmatch(r"\$\{\w+:\?[^}]+\}", str(value)), f"{name}: {key}={value}"
    assert not re.search(r"\$\{\w*(PASSWORD|SECRET|TOKEN)\w*:?-", COMPOSE_TEXT)


def test_published_ports_listen_on_the_hosts_loopback_only():
    for name, spec in SERVICES.items():
        for port in spec.get("ports", ()):
            assert str(port).startswith("127.0.0.1:"), f"{name}: {port}"


def test_workers_bind_their_http_endpoints_wider_explicitly():
    """trendwatch binds to 127.0.0.1 by default; Prometheus scrapes the workers from another container."""
    for name in ("worker-1", "worker-2"):
        assert SERVICES[name]["environment"]["TRENDWATCH_BIND"] == "0.0.0.0"


def test_workers_are_static_group_members_with_ids_of_their_own():
    """A worker restarted by compose takes its partitions back at once (``--group-instance-id``), which
    needs its URL (fixed metrics port) to stay the same."""
    ids = []
    for name in ("worker-1", "worker-2"):
        command = [str(a) for a in SERVICES[name]["command"]]
        ids.append(command[command.index("--group-instance-id") + 1])
        assert SERVICES[name]["environment"]["TRENDWATCH_METRICS_PORT"] not in ("", "0")
    assert len(set(ids)) == 2


def test_services_start_in_order():
    depends = {name: spec.get("depends_on", {}) for name, spec in SERVICES.items()}
    assert depends["topics"]["kafka"]["condition"] == "service_healthy"
    for name in ("worker-1", "worker-2"):
        assert depends[name]["topics"]["condition"] == "service_completed_successfully"
        assert depends["simulator"][name]["condition"] == "service_healthy"
    assert depends["grafana"]["prometheus"]["condition"] == "service_healthy"
    for name, needs in depends.items():
        for other, spec in needs.items():
            assert other in SERVICES, f"{name} depends on unknown {other}"
            if spec["condition"] == "service_healthy":
                assert "healthcheck" in SERVICES[other], f"{name} waits for {other}, which has no healthcheck"


def test_kafka_listens_on_the_compose_network_and_the_host():
    env = SERVICES["kafka"]["environment"]
    advertised = dict(item.split("://") for item in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    internal = advertised[env["KAFKA_INTER_BROKER_LISTENER_NAME"]]
    assert internal.startswith("kafka:")
    external = [a for a in advertised.values() if a.startswith("localhost:")]
    assert external and f"127.0.0.1:{_host_port(external[0])[1]}:{_host_port(external[0])[1]}" \
        in SERVICES["kafka"]["ports"]
    assert SERVICES["worker-1"]["environment"]["TRENDWATCH_BROKER"] == f"kafka://{internal}"
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"


@pytest.mark.parametrize("service, command", [("topics", topics), ("simulator", simulate),
                                                 ("worker-1", worker)])
def test_app_commands_parse_with_the_cli(service, command):
    args = [_interpolate(str(a)) for a in SERVICES[service]["command"]]
    if args[:1] == ["--log-level"]:
        args = args[2:]
    assert args[0] == command.name
    context = command.make_context(command.name, args[1:], resilient_parsing=True)
    if service == "simulator":
        assert context.params["broker"] == SERVICES[service]["environment"]["TRENDWATCH_BROKER"]
        assert context.params["name"] == "rednote-2025" and context.params["speed"] == "600"


def test_mounted_paths_exist():
    for name, spec in SERVICES.items():
        for volume in spec.get("volumes", ()):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name}: {source}"


def test_dockerfile_copies_what_the_app_needs_and_dockerignore_lets_it_through():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    copied = [p for line in re.findall(r"^COPY\s+(.+)$", dockerfile, re.M) for p in line.split()[:-1]]
    assert {"pyproject.toml", "detectors", "streams", "scenarios"} <= set(copied)
    allowed = {line[1:].rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.startswith("!")}
    for path in copied:
        assert (ROOT / path).exists() and path in allowed, path
    assert re.search(r'^ENTRYPOINT \["trendwatch"\]', dockerfile, re.M)
