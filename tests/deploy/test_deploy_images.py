"""The Dockerfiles and .dockerignore, read as text (no Docker engine here)."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

from .facts import (
    COMPONENTS,
    GATEWAY_ENV,
    GATEWAY_IMAGE_CMD,
    K8S,
    REPO,
    SERVICE_ENV,
    SERVICES,
    expected_command,
)

BASE_IMAGE = "python:3.11-slim"
#: the gateway's portal stage only (its build never reaches the runtime image)
NODE_IMAGE = "node:20-slim"
APP_UID = 10001


def instructions(path, build_args: dict[str, str] | None = None):
    """[(INSTRUCTION, arguments)] with comments dropped and continuations joined,
    ``${ARG}`` of the given build arguments substituted."""
    logical, current = [], ""
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        logical.append(current)
        current = ""
    assert not current, f"{path}: dangling line continuation"
    result = []
    for key, value in (build_args or {}).items():
        logical = [t.replace(f"${{{key}}}", value) for t in logical]
    for text in logical:
        instr, _, args = text.partition(" ")
        result.append((instr.upper(), args.strip()))
    return result


def stages(instrs):
    """Split into build stages: [(from-args, [instructions])]."""
    found = []
    for instr, args in instrs:
        if instr == "FROM":
            found.append((args, []))
        elif found:
            found[-1][1].append((instr, args))
    return found


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), args
    return value


def strip_flags(args: str) -> str:
    """Drop leading ``--mount=...``-style flags of RUN/COPY/HEALTHCHECK."""
    while args.startswith("--"):
        _, _, args = args.partition(" ")
        args = args.lstrip()
    return args


def dockerfile(name):
    """The four services share one recipe (``--build-arg SERVICE``)."""
    return REPO / "gateway" / "Dockerfile" if name == "gateway" else \
        REPO / "services" / "Dockerfile"


def build_args(name):
    return {} if name == "gateway" else {"SERVICE": name}


def image_instructions(name):
    return instructions(dockerfile(name), build_args(name))


def final_stage(name):
    return stages(image_instructions(name))[-1][1]


def image_command(name, args: str) -> list[str]:
    """An exec-form command; ``sh -c "exec ..."`` with the image's
    ``DOUDI_SERVICE`` resolved reads as the command it execs."""
    command = exec_form(args)
    if command[:2] == ["sh", "-c"] and command[2].startswith("exec "):
        return [part.replace("$DOUDI_SERVICE", name)
                for part in shlex.split(command[2].removeprefix("exec "))]
    return command


def arg_defaults(name):
    defaults = {}
    for instr, args in image_instructions(name):
        if instr == "ARG" and "=" in args:
            key, _, value = args.partition("=")
            defaults[key] = value
    return defaults


components = pytest.mark.parametrize("name", list(COMPONENTS))


@components
def test_dockerfile_exists_where_compose_points(name):
    assert dockerfile(name).is_file()


@components
def test_images_build_from_python_311_slim(name):
    defaults = arg_defaults(name)
    stage_names = set()
    for from_args, _ in stages(image_instructions(name)):
        parts = from_args.split()
        image = re.sub(r"\$\{?(\w+)\}?", lambda m: defaults.get(m[1], m[0]), parts[0])
        stage = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None
        node_ok = name == "gateway" and stage == "portal" and image == NODE_IMAGE
        assert image == BASE_IMAGE or image in stage_names or node_ok, \
            f"{name}: FROM {from_args}"
        if stage:
            stage_names.add(stage)


def test_the_gateway_image_builds_and_serves_the_portal():
    """The portal is built from its lock file in the node stage; the runtime
    stage holds only the build, where DOUDI_PORTAL_DIR points."""
    found = dict(stages(image_instructions("gateway")))
    portal = next(body for head, body in found.items() if head.endswith("AS portal"))
    runs = [strip_flags(a) for i, a in portal if i == "RUN"]
    assert any(r.startswith("npm ci") for r in runs) and any("vite build" in r for r in runs)
    copies = [strip_flags(a) for i, a in portal if i == "COPY"]
    assert copies[0].split()[:2] == ["portal/package.json", "portal/package-lock.json"]
    final = final_stage("gateway")
    assert ("COPY", "--from=portal --chown=root:root /portal/dist /app/portal") in final
    env = " ".join(a for i, a in final if i == "ENV")
    assert "DOUDI_PORTAL_DIR=/app/portal" in env
    engines = json.loads((REPO / "portal" / "package.json").read_text())["engines"]["node"]
    assert engines.lstrip(">=").split(".")[0] == NODE_IMAGE.split(":")[1].split("-")[0]
    assert ignored("portal/node_modules/x", ignore_patterns())
    assert ignored("portal/dist/index.html", ignore_patterns())


@components
def test_uv_comes_from_pip_and_syncs_only_this_package(name):
    package = COMPONENTS[name][1]
    runs = [strip_flags(args) for instr, args in image_instructions(name) if instr == "RUN"]
    assert any(re.search(r"\bpip install\b.*\buv\b", r) for r in runs), f"{name}: no pip install uv"
    syncs = [shlex.split(r) for r in runs if re.search(r"\buv sync\b", r)]
    assert syncs, f"{name}: no uv sync"
    for sync in syncs:
        assert {"--frozen", "--no-dev"} <= set(sync), f"{name}: {sync}"
        assert sync[sync.index("--package") + 1] == package, f"{name}: {sync}"
    assert any("--no-install-workspace" not in s for s in syncs), \
        f"{name}: the workspace packages are never installed"


@components
def test_image_package_is_a_workspace_member(name):
    src, package, *_ = COMPONENTS[name]
    project = tomllib.loads((REPO / src / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["name"] == package
    module = package.replace("-", "_")
    assert (REPO / src / "src" / module / "__init__.py").is_file(), module


@components
def test_image_runs_as_a_numeric_non_root_user(name):
    users = [args for instr, args in final_stage(name) if instr == "USER"]
    assert users, f"{name}: the runtime stage has no USER"
    user = users[-1].split(":")[0]
    assert user.isdigit() and int(user) != 0, f"{name}: USER {users[-1]}"
    assert int(user) == APP_UID


@components
def test_image_has_a_healthcheck_and_the_documented_command(name):
    final = final_stage(name)
    workdirs = [args for instr, args in final if instr == "WORKDIR"]
    assert workdirs and workdirs[-1] == "/app", name
    healthchecks = [args for instr, args in final if instr == "HEALTHCHECK"]
    assert len(healthchecks) == 1, f"{name}: {len(healthchecks)} HEALTHCHECKs"
    hc = healthchecks[0]
    assert "--timeout=" in hc and "--interval=" in hc, hc
    probe = image_command(name, strip_flags(hc).removeprefix("CMD").strip())
    if name == "gateway":
        assert probe[:2] == ["python", "-c"], probe
        assert "urllib" in probe[2] and "/healthz" in probe[2]
        compile(probe[2], "HEALTHCHECK", "exec")
        assert "8000" in next(args for instr, args in final if instr == "EXPOSE")
    else:
        assert probe == expected_command(name, "health")
    cmds = [args for instr, args in final if instr == "CMD"]
    env = " ".join(args for instr, args in final if instr == "ENV")
    if name == "gateway":
        # compose and Kubernetes run `doudi-gateway` whatever the image's CMD says
        assert cmds and exec_form(cmds[-1]) in (GATEWAY_IMAGE_CMD, expected_command(name, "run"))
        if exec_form(cmds[-1]) == expected_command(name, "run"):
            assert "DOUDI_GATEWAY_HOST=0.0.0.0" in env, "doudi-gateway binds 127.0.0.1"
    else:
        assert cmds and image_command(name, cmds[-1]) == expected_command(name, "run")
        assert f"DOUDI_SERVICE={name}" in env, f"{name}: the image does not know its service"
    assert "/app/.venv/bin" in env, f"{name}: the venv is not on PATH"


@pytest.mark.parametrize("name", list(SERVICES))
def test_config_the_image_runs_with_exists(name):
    command = expected_command(name, "run")
    config = command[command.index("--config") + 1]
    assert (REPO / config).is_file(), config


def test_image_uid_matches_kubernetes_run_as_user():
    for path in (K8S / "base").glob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc and doc.get("kind") == "Deployment":
                sc = doc["spec"]["template"]["spec"]["securityContext"]
                assert sc["runAsUser"] == APP_UID, path.name
                assert sc["runAsNonRoot"] is True, path.name


# --------------------------------------------------------------- .dockerignore


def ignore_patterns():
    lines = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str, patterns) -> bool:
    """Docker's rule, close enough: the last matching pattern wins, a pattern
    matches a path or any of its parents, ``**`` spans directories."""
    verdict = False
    parts = path.split("/")
    candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern.lstrip("!").strip("/")
        pats = {pat}
        if pat.startswith("**/"):
            pats.add(pat[3:])
        for candidate in candidates:
            if any(fnmatch.fnmatchcase(candidate, p.replace("**/", "*/")) or
                   fnmatch.fnmatchcase(candidate, p) for p in pats):
                verdict = not negate
                break
    return verdict


def test_dockerignore_keeps_local_state_out():
    patterns = ignore_patterns()
    for path in (".venv/bin/python", ".git/HEAD", "var/eligibility.db",
                 "libs/doudi-common/src/doudi_common/__pycache__/x.pyc",
                 "services/eligibility/.venv/x", ".env"):
        assert ignored(path, patterns), f"{path} would be sent to the Docker daemon"


@components
def test_dockerignore_keeps_what_the_build_needs(name):
    patterns = ignore_patterns()
    needed = ["pyproject.toml", "uv.lock", ".python-version",
              "libs/doudi-common/pyproject.toml", "libs/doudi-contracts/pyproject.toml",
              "departments/pyproject.toml", "gateway/pyproject.toml"]
    needed += [f"{src}/pyproject.toml" for src, *_ in SERVICES.values()]
    src = COMPONENTS[name][0]
    needed += [f"{src}/config.yaml", f"{src}/src/{COMPONENTS[name][1].replace('-', '_')}/x.py"]
    for instr, args in image_instructions(name):
        if instr == "COPY" and "--from=" not in args:
            *sources, _dest = strip_flags(args).split()
            needed += [s for s in sources if s not in (".", "./")]
    for path in needed:
        assert not ignored(path, patterns), f".dockerignore drops {path}"
        if "/" not in path or path.endswith("pyproject.toml"):
            assert (REPO / path).exists(), f"{path} is copied but does not exist"


_ENV_NAME = re.compile(r"\b(DOUDI_[A-Z0-9_]*[A-Z0-9]|PROMETHEUS_MULTIPROC_DIR)\b")


def _env_read_by(*paths: Path) -> set[str]:
    found = set()
    for path in paths:
        files = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for file in files:
            found |= set(_ENV_NAME.findall(file.read_text(encoding="utf-8")))
    return found


def test_env_lists_match_the_sources():
    """ALLOWED_ENV is what the code reads: a variable the code dropped or gained
    shows up here before a manifest sets it in vain (or misses it)."""
    from doudi_common.config import ENV_OVERRIDES

    common = set(ENV_OVERRIDES.values()) | {"DOUDI_HOME"}
    services = _env_read_by(*(REPO / src / "config.yaml" for src, *_ in SERVICES.values()))
    assert common | services == SERVICE_ENV
    gateway = _env_read_by(REPO / "gateway" / "config.yaml", REPO / "gateway" / "src")
    # load_config reads DOUDI_DB_URL too, but the gateway's store uses GATEWAY_DB_URL
    assert (common - {"DOUDI_DB_URL"}) | gateway == GATEWAY_ENV
