"""docker-compose.yml: parsed and checked without a Docker engine; `docker
compose config` also runs when the compose plugin is installed."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
from urllib.parse import unquote, urlsplit

import pytest

from .facts import (
    ALLOWED_ENV,
    COMPONENTS,
    DB_URL_ENV,
    GATEWAY_METRICS_DIR,
    REPO,
    REQUIRED_ENV,
    SERVICES,
    expected_command,
    role,
)

_VAR = re.compile(r"\$(?:\{(?P<braced>[^}]*)\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*)|(?P<dollar>\$))")


def references(text: str):
    """Every ``${...}`` / ``$VAR`` in a compose value: (name, operator, argument)."""
    for m in _VAR.finditer(text):
        if m["dollar"]:
            continue
        if m["plain"]:
            yield m["plain"], "", ""
            continue
        name, op, arg = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(:?[-?+]|)(.*)", m["braced"],
                                     re.DOTALL).groups()
        yield name, op, arg


def interpolate(text: str, env: dict | None = None) -> str:
    """Compose interpolation with the given environment (default: none set)."""
    env = env or {}

    def sub(m):
        if m["dollar"]:
            return "$"
        if m["plain"]:
            return env.get(m["plain"], "")
        name, op, arg = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(:?[-?+]|)(.*)", m["braced"],
                                     re.DOTALL).groups()
        value = env.get(name)
        if op in (":-", "-"):
            return value if value or (op == "-" and value is not None) else interpolate(arg, env)
        if op in (":?", "?"):
            if not value and not (op == "?" and value is not None):
                raise KeyError(f"{name}: {arg}")
            return value
        return value or ""

    return _VAR.sub(sub, text)


def walk_strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from walk_strings(key)
            yield from walk_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk_strings(value)


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: interpolate(str(v)) for k, v in env.items()}


def depends_on(service: dict) -> dict[str, dict]:
    deps = service.get("depends_on", {})
    if isinstance(deps, list):
        return {name: {"condition": "service_started"} for name in deps}
    return deps


def volume_entries(service: dict):
    """(type, source, target) of each volume of a service."""
    for vol in service.get("volumes", []):
        if isinstance(vol, str):
            parts = interpolate(vol).split(":")
            if len(parts) == 1:
                yield "volume", None, parts[0]
                continue
            source, target = parts[0], parts[1]
            kind = "bind" if source.startswith((".", "/", "~")) else "volume"
            yield kind, source, target
        else:
            yield vol.get("type", "volume"), interpolate(str(vol.get("source", ""))) or None, \
                vol["target"]


def healthcheck_test(service: dict) -> list[str]:
    test = service.get("healthcheck", {}).get("test")
    if isinstance(test, str):
        return ["CMD-SHELL", test]
    return test or []


# ---------------------------------------------------------------------- shape


def test_compose_has_the_suite(compose):
    services = compose["services"]
    suite = {name for name, svc in services.items() if not svc.get("profiles")}
    assert suite == {"rabbitmq", "postgres", *COMPONENTS}
    # the optional monitoring profile: Prometheus with the cluster's rules, Grafana
    # with the suite's dashboards (tests/test_monitoring.py checks both are sound)
    monitoring = {name for name, svc in services.items() if svc.get("profiles")}
    assert monitoring == {"prometheus", "grafana"}
    assert all(services[name]["profiles"] == ["monitoring"] for name in monitoring)
    mounts = {source for name in monitoring for _kind, source, _target in
              volume_entries(services[name])}
    for source in mounts:
        assert (REPO / source).exists(), source
    for name in SERVICES:
        assert services[name]["environment"]["DOUDI_METRICS_PORT"] == "9100", name


def test_every_service_has_an_image_or_a_build(compose):
    for name, svc in compose["services"].items():
        assert svc.get("image") or svc.get("build"), name


def test_builds_use_the_repo_root_and_existing_dockerfiles(compose):
    for name, svc in compose["services"].items():
        if name in COMPONENTS:
            build = svc["build"]
            assert isinstance(build, dict) and build["context"] == ".", name
            if name == "gateway":
                assert build["dockerfile"] == "gateway/Dockerfile", name
            else:  # one recipe for the four services, told which by SERVICE
                assert build["dockerfile"] == "services/Dockerfile", name
                assert build["args"] == {"SERVICE": name}, name
        if "build" in svc:
            build = svc["build"] if isinstance(svc["build"], dict) else {"context": svc["build"]}
            context = REPO / build.get("context", ".")
            assert context.is_dir(), name
            dockerfile = context / build.get("dockerfile", "Dockerfile")
            assert dockerfile.is_file(), f"{name}: {dockerfile} is missing"


def test_every_service_has_a_healthcheck(compose):
    for name, svc in compose["services"].items():
        test = healthcheck_test(svc)
        assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name}: no healthcheck"
        assert not svc["healthcheck"].get("disable"), name


def test_depends_on_names_exist_and_wait_for_health(compose):
    services = compose["services"]
    for name, svc in services.items():
        for dep, spec in depends_on(svc).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            assert dep != name
            assert spec.get("condition") == "service_healthy", f"{name} -> {dep}"
            assert healthcheck_test(services[dep]), f"{dep} has no healthcheck to wait on"


def test_service_dependencies(compose):
    services = compose["services"]
    for name in SERVICES:
        assert set(depends_on(services[name])) >= {"rabbitmq", "postgres"}, name
    # the gateway's own database lives in the same PostgreSQL
    assert set(depends_on(services["gateway"])) >= set(SERVICES) | {"rabbitmq", "postgres"}


def test_volumes_secrets_and_configs_are_declared(compose):
    declared = {kind: set(compose.get(kind) or {}) for kind in ("volumes", "secrets", "configs")}
    for name, svc in compose["services"].items():
        for kind, source, target in volume_entries(svc):
            assert target.startswith("/"), f"{name}: {target}"
            if kind == "volume" and source:
                assert source in declared["volumes"], f"{name}: volume {source} not declared"
            if kind == "bind":
                assert (REPO / source).exists(), f"{name}: {source} does not exist"
        for kind in ("secrets", "configs"):
            for ref in svc.get(kind, []):
                ref_name = ref if isinstance(ref, str) else ref["source"]
                assert ref_name in declared[kind], f"{name}: {kind[:-1]} {ref_name} not declared"
    used = {source for svc in compose["services"].values()
            for kind, source, _ in volume_entries(svc) if kind == "volume"}
    assert declared["volumes"] <= used, "declared volumes nobody uses"


def test_every_variable_has_a_default_or_is_required(compose):
    """``${VAR}`` alone would silently become empty when VAR is unset."""
    for text in walk_strings(compose):
        for name, op, arg in references(text):
            assert op in (":-", "-", ":?", "?"), f"${{{name}}} in {text!r} has no default"
            if op in (":-", "-"):
                assert arg, f"${{{name}}}: empty default"


# ---------------------------------------------------------------- environment


def test_component_environment(compose):
    for name, (_src, _pkg, database, rabbit_user) in COMPONENTS.items():
        env = environment(compose["services"][name])
        allowed = ALLOWED_ENV[role(name)]
        assert set(env) <= allowed, f"{name}: unknown {set(env) - allowed}"
        required = REQUIRED_ENV[role(name)] | ({"DOUDI_JWT_SECRET"} if name == "gateway"
                                               else set())
        assert required <= set(env), f"{name}: missing {required - set(env)}"
        amqp = urlsplit(env["DOUDI_AMQP_URI"])
        assert amqp.scheme in ("amqp", "pyamqp"), name
        assert (amqp.hostname, amqp.port, amqp.username) == ("rabbitmq", 5672, rabbit_user), name
        assert amqp.password, f"{name}: AMQP URI without a password"
        db = urlsplit(env[DB_URL_ENV[name]])
        assert db.scheme == "postgresql+psycopg", name
        assert (db.hostname, db.port, db.path) == ("postgres", 5432, f"/{database}"), name
        # one replica per service, each migrates on start; `doudi-gateway` migrates
        # before its workers start, so they need not
        assert env["DOUDI_AUTO_MIGRATE"] == ("false" if name == "gateway" else "true"), name


def test_database_password_is_the_postgres_password(compose):
    postgres = environment(compose["services"]["postgres"])
    for name in COMPONENTS:
        db = urlsplit(environment(compose["services"][name])[DB_URL_ENV[name]])
        assert (db.username, unquote(db.password)) == (postgres["POSTGRES_USER"],
                                                       postgres["POSTGRES_PASSWORD"]), name


def _rabbit_hash_matches(password: str, encoded: str) -> bool:
    raw = base64.b64decode(encoded)
    salt, digest = raw[:4], raw[4:]
    return hashlib.sha256(salt + password.encode()).digest() == digest


def test_default_amqp_passwords_match_the_definitions(compose):
    path = REPO / "deploy/rabbitmq/definitions.json"
    definitions = json.loads(path.read_text(encoding="utf-8"))
    users = {u["name"]: u for u in definitions["users"]}
    for name in COMPONENTS:
        amqp = urlsplit(environment(compose["services"][name])["DOUDI_AMQP_URI"])
        user = users.get(amqp.username)
        assert user is not None, f"{name}: user {amqp.username} not in definitions.json"
        assert user["hashing_algorithm"] == "rabbit_password_hashing_sha256"
        assert _rabbit_hash_matches(unquote(amqp.password), user["password_hash"]), \
            f"{name}: the default password of {amqp.username} does not match definitions.json"


# ------------------------------------------------------------ infrastructure


def test_rabbitmq_loads_the_definitions(compose):
    rabbit = compose["services"]["rabbitmq"]
    assert rabbit["image"] == "rabbitmq:3.13-management"
    assert healthcheck_test(rabbit)[1:] == ["rabbitmq-diagnostics", "-q", "ping"]
    binds = {target: source for kind, source, target in volume_entries(rabbit) if kind == "bind"}
    assert binds["/etc/rabbitmq/rabbitmq.conf"] == "./deploy/rabbitmq/rabbitmq.conf"
    assert binds["/etc/rabbitmq/definitions.json"] == "./deploy/rabbitmq/definitions.json"
    conf = (REPO / "deploy/rabbitmq/rabbitmq.conf").read_text(encoding="utf-8")
    settings = {
        k.strip(): v.strip() for k, _, v in
        (line.partition("=") for line in conf.splitlines()
         if line.strip() and not line.lstrip().startswith("#"))}
    assert settings["load_definitions"] == "/etc/rabbitmq/definitions.json"
    assert settings.get("management.tcp.port") == "15672"
    assert "/var/lib/rabbitmq" in {t for k, _, t in volume_entries(rabbit) if k == "volume"}


def test_definitions_declare_exchanges_and_users():
    definitions = json.loads((REPO / "deploy/rabbitmq/definitions.json").read_text("utf-8"))
    exchanges = {e["name"] for e in definitions["exchanges"]}
    assert {"doudi.dlx", *(f"{s.replace('-', '_')}.events" for s in SERVICES)} <= exchanges
    users = {u["name"] for u in definitions["users"]}
    assert {rabbit_user for *_, rabbit_user in COMPONENTS.values()} <= users


def test_postgres_creates_one_database_per_component(compose):
    pg = compose["services"]["postgres"]
    assert pg["image"] == "postgres:15"
    assert healthcheck_test(pg)[1] == "pg_isready"
    binds = {target: source for kind, source, target in volume_entries(pg) if kind == "bind"}
    init = [s for t, s in binds.items() if t.startswith("/docker-entrypoint-initdb.d/")]
    assert init == ["./deploy/postgres/init.sql"]
    sql = (REPO / "deploy/postgres/init.sql").read_text(encoding="utf-8")
    created = set(re.findall(r"^\s*CREATE DATABASE (\w+)", sql, re.MULTILINE | re.IGNORECASE))
    assert created == {database for _, _, database, _ in COMPONENTS.values()}
    assert "/var/lib/postgresql/data" in {t for k, _, t in volume_entries(pg) if k == "volume"}


def test_service_healthchecks_run_doudi_service_health(compose):
    for name in SERVICES:
        assert healthcheck_test(compose["services"][name]) == \
            ["CMD", *expected_command(name, "health")], name


def test_gateway_publishes_8000_and_checks_healthz_without_curl(compose):
    gateway = compose["services"]["gateway"]
    assert "8000:8000" in [str(p) for p in gateway["ports"]]
    test = healthcheck_test(gateway)
    assert test[:3] == ["CMD", "python", "-c"], test
    assert "urllib" in test[3] and "/healthz" in test[3] and "8000" in test[3]
    compile(test[3], "healthcheck", "exec")
    assert "curl" not in json.dumps(test) and "wget" not in json.dumps(test)


def test_gateway_runs_doudi_gateway_on_all_interfaces(compose):
    """``doudi-gateway`` migrates and creates the first admin before gunicorn forks;
    it binds 127.0.0.1:8000 unless DOUDI_GATEWAY_HOST says otherwise."""
    gateway = compose["services"]["gateway"]
    command = gateway.get("command")
    assert (command.split() if isinstance(command, str) else command) == \
        expected_command("gateway", "run")
    env = environment(gateway)
    assert env["DOUDI_GATEWAY_HOST"] == "0.0.0.0"
    assert env.get("DOUDI_GATEWAY_PORT", "8000") == "8000"
    assert "DOUDI_DB_URL" not in env, "the gateway reads DOUDI_GATEWAY_DB_URL"


def test_gateway_trusts_no_proxy_and_sums_metrics_over_workers(compose):
    gateway = compose["services"]["gateway"]
    env = environment(gateway)
    # nothing in front of it in compose: X-Forwarded-For would be the client's say-so
    assert env["DOUDI_PROXY_HOPS"] == "0"
    # a tmpfs, fresh per container start (files of an earlier run would linger)
    assert env["PROMETHEUS_MULTIPROC_DIR"] == GATEWAY_METRICS_DIR
    tmpfs = gateway.get("tmpfs", [])
    tmpfs = [tmpfs] if isinstance(tmpfs, str) else tmpfs
    targets = {t.split(":")[0] for t in tmpfs}
    targets |= {t for kind, _, t in volume_entries(gateway) if kind == "tmpfs"}
    assert GATEWAY_METRICS_DIR in targets


# ------------------------------------------------------------- docker compose


def _compose_plugin() -> list[str] | None:
    docker = shutil.which("docker")
    if docker is None:
        return None
    probe = subprocess.run([docker, "compose", "version"], check=False, capture_output=True,
                           text=True, timeout=60)
    return [docker, "compose"] if probe.returncode == 0 else None


def test_docker_compose_config_accepts_the_file():
    cmd = _compose_plugin()
    if cmd is None:
        pytest.skip("the docker compose plugin is not installed (needs no engine for `config`)")
    proc = subprocess.run([*cmd, "-f", str(REPO / "docker-compose.yml"), "config", "--quiet"],
                          check=False, capture_output=True, text=True, timeout=120,
                          cwd=REPO)
    assert proc.returncode == 0, proc.stderr
