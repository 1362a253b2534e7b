"""deploy/k8s: every overlay renders, validates against the Kubernetes schemas
and holds the shape the suite needs (probes, resources, labels, references)."""

from __future__ import annotations

import re

import pytest

from .facts import (
    ALLOWED_ENV,
    COMPONENTS,
    DB_URL_ENV,
    EXTERNAL_SECRETS,
    GATEWAY_METRICS_DIR,
    K8S,
    KNOWN_ENV,
    REPO,
    REQUIRED_ENV,
    SERVICES,
    expected_command,
    render,
    role,
)

#: Kubernetes versions whose schemas (bundled with kubernetes-validate) we check against:
#: the oldest we support and the one matching the kubectl used here.
K8S_VERSIONS = ("1.29", "1.32")
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume",
                  "StorageClass", "CustomResourceDefinition", "PriorityClass"}
NAMESPACES = {"overlays/dev": "doudi-dev", "overlays/prod": "doudi"}
#: API groups of the operators the prod overlay uses (not in the Kubernetes schemas)
OPERATOR_GROUPS = {"postgresql.cnpg.io", "rabbitmq.com", "keda.sh", "external-secrets.io"}


def of_kind(objects, kind):
    return [o for o in objects if o["kind"] == kind]


def by_name(objects, kind):
    return {o["metadata"]["name"]: o for o in of_kind(objects, kind)}


def workloads(objects):
    return [o for o in objects if o["kind"] in WORKLOAD_KINDS]


def long_running(objects):
    """Workloads whose pods keep running (a Job's run to completion: no probes,
    and Kubernetes makes their selector)."""
    return [o for o in workloads(objects) if o["kind"] != "Job"]


def pod_spec(workload):
    return workload["spec"]["template"]["spec"]


def containers(workload, init=False):
    spec = pod_spec(workload)
    found = list(spec.get("containers", []))
    if init:
        found += spec.get("initContainers", [])
    return found


def doudi_deployments(objects):
    """component name -> Deployment."""
    deployments = by_name(objects, "Deployment")
    return {name: deployments[name] for name in COMPONENTS if name in deployments}


def configmaps_by_generator_name(objects):
    """Generated ConfigMaps carry a hash suffix; index by both names."""
    found = {}
    for cm in of_kind(objects, "ConfigMap"):
        name = cm["metadata"]["name"]
        found[name] = cm
        found[re.sub(r"-[a-z0-9]{10}$", "", name)] = cm
    return found


def env_names(container):
    return {e["name"] for e in container.get("env", [])}


def env_value(objects, container, name):
    """The value a container gets for ``name``: literal or from a ConfigMap key
    (None when it comes from a Secret)."""
    (entry,) = [e for e in container.get("env", []) if e["name"] == name]
    if "value" in entry:
        return entry["value"]
    ref = entry["valueFrom"].get("configMapKeyRef")
    if ref is None:
        return None
    return configmaps_by_generator_name(objects)[ref["name"]]["data"][ref["key"]]


# ------------------------------------------------------------------ rendering


def test_every_overlay_renders(objects):
    kinds = {o["kind"] for o in objects}
    assert {"Deployment", "ConfigMap", "Service"} <= kinds


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_objects_validate_against_kubernetes_schemas(objects, version):
    kubernetes_validate = pytest.importorskip(
        "kubernetes_validate", reason="kubernetes-validate is in the root dev group: uv sync")
    errors = []
    for obj in objects:
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        if obj["apiVersion"].startswith("monitoring.coreos.com/"):
            continue  # the Prometheus Operator's kinds: tests/test_monitoring.py checks them
        if obj["apiVersion"].split("/")[0] in OPERATOR_GROUPS:
            continue  # the operators' kinds: tests/deploy/test_deploy_operators.py
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = "/".join(str(p) for p in exc.path)
            errors.append(f"{where} at {path or '.'}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(f"{where}: {exc.message}")
    assert not errors, "\n".join(errors)


def test_all_components_are_deployed(objects):
    deployments = doudi_deployments(objects)
    assert set(deployments) == set(COMPONENTS)
    services = by_name(objects, "Service")
    # the gateway is reached over HTTP, and eligibility's reads (by the gateway:
    # DOUDI_ELIGIBILITY_HTTP names its Service and port); otherwise AMQP only
    assert "gateway" in services
    assert set(SERVICES) & set(services) == {"eligibility"}
    reads = services["eligibility"]["spec"]
    assert [(p["port"], p["targetPort"]) for p in reads["ports"]] == [(8101, "reads")]
    gateway_env = {e["name"]: e.get("value") for e in deployments["gateway"]["spec"][
        "template"]["spec"]["containers"][0]["env"]}
    assert gateway_env["DOUDI_ELIGIBILITY_HTTP"] == "http://eligibility:8101"


def test_names_are_unique(objects):
    seen = set()
    for obj in objects:
        key = (obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"])
        assert key not in seen, f"duplicate {key}"
        seen.add(key)


# --------------------------------------------------------- labels & selectors


def test_workload_selectors_match_their_pod_labels(objects):
    for job in of_kind(objects, "Job"):
        assert "selector" not in job["spec"], job["metadata"]["name"]  # Kubernetes sets it
    for wl in long_running(objects):
        name = wl["metadata"]["name"]
        selector = wl["spec"]["selector"]["matchLabels"]
        pod_labels = wl["spec"]["template"]["metadata"]["labels"]
        assert selector, f"{name}: empty selector"
        assert selector.items() <= pod_labels.items(), f"{name}: selector {selector} " \
            f"does not match pod labels {pod_labels}"
        for labels in (wl["metadata"]["labels"], pod_labels):
            assert labels.get("app.kubernetes.io/name") == name, name
            assert labels.get("app.kubernetes.io/part-of") == "doudi", name


def test_selectors_do_not_overlap(objects):
    """No workload's pods are also selected by another workload."""
    wls = long_running(objects)
    for a in wls:
        for b in wls:
            if a is b:
                continue
            sel = a["spec"]["selector"]["matchLabels"]
            assert not sel.items() <= b["spec"]["template"]["metadata"]["labels"].items(), \
                f"{a['metadata']['name']} selects pods of {b['metadata']['name']}"


def test_services_select_a_workload_and_target_a_named_port(objects):
    wls = workloads(objects)
    for svc in of_kind(objects, "Service"):
        sel = svc["spec"]["selector"]
        targets = [wl for wl in wls
                   if sel.items() <= wl["spec"]["template"]["metadata"]["labels"].items()]
        assert len(targets) == 1, f"Service {svc['metadata']['name']} selects {len(targets)}"
        port_names = {p["name"] for c in containers(targets[0]) for p in c.get("ports", [])}
        for port in svc["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            if isinstance(target, str):
                assert target in port_names, f"{svc['metadata']['name']}: no port {target}"


def test_statefulsets_are_governed_by_a_headless_service(objects):
    services = by_name(objects, "Service")
    for sts in of_kind(objects, "StatefulSet"):
        governing = services.get(sts["spec"]["serviceName"])
        assert governing is not None, sts["metadata"]["name"]
        assert governing["spec"].get("clusterIP") == "None"


# --------------------------------------------------- probes, resources, security


def test_every_container_has_probes_and_resources(objects):
    problems = []
    for wl in long_running(objects):
        for c in containers(wl):
            where = f"{wl['metadata']['name']}/{c['name']}"
            for probe in ("livenessProbe", "readinessProbe"):
                if probe not in c:
                    problems.append(f"{where}: no {probe}")
            if not c.get("image"):
                problems.append(f"{where}: no image")
    for wl in workloads(objects):
        for c in containers(wl, init=True):
            where = f"{wl['metadata']['name']}/{c['name']}"
            res = c.get("resources", {})
            for part in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in res.get(part, {}):
                        problems.append(f"{where}: no resources.{part}.{resource}")
    assert not problems, "\n".join(problems)


def test_service_probes_run_doudi_service_health(objects):
    for name, dep in doudi_deployments(objects).items():
        if name == "gateway":
            continue
        (main,) = [c for c in containers(dep) if c["name"] == name]
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert main[probe]["exec"]["command"] == expected_command(name, "health"), \
                f"{name}.{probe}"
            # the health RPC takes up to ~3 s, and a Python process starts first
            assert main[probe].get("timeoutSeconds", 1) >= 5, f"{name}.{probe} timeout"


def test_gateway_probes_use_healthz_and_readyz(objects):
    dep = doudi_deployments(objects)["gateway"]
    (main,) = containers(dep)
    ports = {p["name"]: p["containerPort"] for p in main["ports"]}
    assert 8000 in ports.values()
    expected = {"livenessProbe": "/healthz", "readinessProbe": "/readyz",
                "startupProbe": "/healthz"}
    for probe, path in expected.items():
        get = main[probe]["httpGet"]
        assert get["path"] == path, probe
        port = ports.get(get["port"], get["port"])
        assert port == 8000, probe


def test_pods_run_as_non_root_without_privileges(objects):
    problems = []
    for wl in workloads(objects):
        pod_sc = pod_spec(wl).get("securityContext", {})
        for c in containers(wl, init=True):
            where = f"{wl['metadata']['name']}/{c['name']}"
            sc = c.get("securityContext", {})
            if not sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")):
                problems.append(f"{where}: runAsNonRoot is not set")
            if sc.get("runAsUser", pod_sc.get("runAsUser")) == 0:
                problems.append(f"{where}: runs as uid 0")
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: allowPrivilegeEscalation is not false")
            if sc.get("privileged"):
                problems.append(f"{where}: privileged")
            if "ALL" not in sc.get("capabilities", {}).get("drop", []):
                problems.append(f"{where}: capabilities not dropped")
            if (sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type") \
                    not in ("RuntimeDefault", "Localhost"):
                problems.append(f"{where}: no seccomp profile")
    assert not problems, "\n".join(problems)


def test_doudi_containers_have_read_only_root_and_writable_tmp(objects):
    for name, dep in doudi_deployments(objects).items():
        assert pod_spec(dep).get("automountServiceAccountToken") is False, name
        volumes = {v["name"]: v for v in pod_spec(dep).get("volumes", [])}
        for c in containers(dep, init=True):
            assert c["securityContext"].get("readOnlyRootFilesystem") is True, name
            mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
            assert "/tmp" in mounts, name
            for mount in mounts.values():
                assert "emptyDir" in volumes[mount["name"]], f"{name}: {mount['mountPath']}"


def test_gateway_metrics_dir_is_a_writable_empty_dir(objects):
    """Prometheus multiprocess mode: every gunicorn worker writes its samples as
    files under PROMETHEUS_MULTIPROC_DIR and /metrics sums them; the root
    filesystem is read-only, so the directory must be a volume of its own."""
    dep = doudi_deployments(objects)["gateway"]
    (main,) = containers(dep)
    assert env_value(objects, main, "PROMETHEUS_MULTIPROC_DIR") == GATEWAY_METRICS_DIR
    mounts = {m["mountPath"]: m for m in main["volumeMounts"]}
    assert GATEWAY_METRICS_DIR in mounts
    assert not mounts[GATEWAY_METRICS_DIR].get("readOnly")
    volumes = {v["name"]: v for v in pod_spec(dep)["volumes"]}
    volume = volumes[mounts[GATEWAY_METRICS_DIR]["name"]]
    assert "emptyDir" in volume and volume["emptyDir"].get("sizeLimit"), volume
    # not shared with /tmp or /app/var
    assert sum(m["name"] == volume["name"] for m in main["volumeMounts"]) == 1


# ------------------------------------------------------ commands and migrations


def test_containers_run_the_documented_commands(objects):
    for name, dep in doudi_deployments(objects).items():
        (main,) = [c for c in containers(dep) if c["name"] == name]
        assert main.get("command", []) + main.get("args", []) == expected_command(name, "run")


def test_each_service_migrates_once_in_a_job_and_its_replicas_wait(objects):
    """Issue 20: one migrate Job per service instead of an init container in
    every replica; the replicas' init container only waits for the schema."""
    config = configmaps_by_generator_name(objects)["doudi-config"]
    assert config["data"]["DOUDI_AUTO_MIGRATE"] == "false"
    jobs = by_name(objects, "Job")
    for name, dep in doudi_deployments(objects).items():
        inits = pod_spec(dep).get("initContainers", [])
        if name == "gateway":
            # `doudi-gateway` migrates (advisory lock) and creates the first admin
            # before gunicorn forks; the workers must not do it again
            assert not inits
            (main,) = containers(dep)
            assert main["command"] == expected_command(name, "run")
            assert main["command"][0] == "doudi-gateway"
            assert env_value(objects, main, "DOUDI_AUTO_MIGRATE") == "false"
            continue
        (main,) = [c for c in containers(dep) if c["name"] == name]
        assert not [c for c in inits if c["command"] == expected_command(name, "migrate")], \
            f"{name}: a replica must not migrate"
        waits = [c for c in inits if c["command"] == expected_command(name, "wait-migrated")]
        assert len(waits) == 1, f"{name}: no wait-migrated initContainer"
        assert waits[0]["image"] == main["image"], name
        job = jobs[f"{name}-migrate"]
        assert job["metadata"]["labels"]["app.kubernetes.io/component"] == "migrate"
        (migrate,) = containers(job)
        assert migrate["command"] == expected_command(name, "migrate")
        assert migrate["image"] == main["image"], name
        for c in (waits[0], migrate):
            db = next(e for e in c["env"] if e["name"] == "DOUDI_DB_URL")
            assert db["valueFrom"]["secretKeyRef"] == {"name": "doudi-secrets",
                                                      "key": f"{name}-db-url"}
        assert pod_spec(job)["restartPolicy"] == "OnFailure"
        assert job["spec"]["ttlSecondsAfterFinished"] > 0
    assert set(jobs) >= {f"{n}-migrate" for n in SERVICES}


# ------------------------------------------------------ environment & references


def test_environment_names_are_known(objects):
    config = configmaps_by_generator_name(objects)["doudi-config"]
    assert set(config["data"]) <= KNOWN_ENV
    for name, dep in doudi_deployments(objects).items():
        for c in containers(dep, init=True):
            unknown = env_names(c) - ALLOWED_ENV[role(name)]
            assert not unknown, f"{name}/{c['name']}: unknown env {unknown}"
            assert not c.get("envFrom"), f"{name}/{c['name']}: use explicit env"
        (main,) = [c for c in containers(dep) if c["name"] == name]
        required = REQUIRED_ENV[role(name)]
        assert required <= env_names(main), f"{name}: missing {required - env_names(main)}"


def test_secrets_are_referenced_never_committed(objects):
    assert not of_kind(objects, "Secret"), "Secrets are created by the operator"
    for obj in objects:
        if obj["kind"] == "ConfigMap":
            for key, value in obj.get("data", {}).items():
                assert not re.search(r"://[^/\s:]+:[^@\s]+@", value), \
                    f"{obj['metadata']['name']}.{key} holds a credential"
        for wl in [obj] if obj["kind"] in WORKLOAD_KINDS else []:
            for c in containers(wl, init=True):
                for e in c.get("env", []):
                    if re.search(r"PASSWORD|SECRET|_URI$|_URL$", e["name"]):
                        assert "valueFrom" in e, f"{wl['metadata']['name']}: {e['name']} " \
                            "must come from a Secret"


def _references(wl):
    """(kind, name, key-or-None, optional) for every Secret/ConfigMap a pod uses."""
    spec = pod_spec(wl)
    for c in containers(wl, init=True):
        for e in c.get("env", []):
            src = e.get("valueFrom", {})
            for field, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                if field in src:
                    ref = src[field]
                    yield kind, ref["name"], ref["key"], ref.get("optional", False)
        for ef in c.get("envFrom", []):
            for field, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
                if field in ef:
                    yield kind, ef[field]["name"], None, ef[field].get("optional", False)
    for vol in spec.get("volumes", []):
        if "secret" in vol:
            yield "Secret", vol["secret"]["secretName"], None, vol["secret"].get("optional")
        if "configMap" in vol:
            yield "ConfigMap", vol["configMap"]["name"], None, vol["configMap"].get("optional")
        for source in vol.get("projected", {}).get("sources", []):
            if "secret" in source:
                yield "Secret", source["secret"]["name"], None, False
            if "configMap" in source:
                yield "ConfigMap", source["configMap"]["name"], None, False


def test_secret_and_configmap_references_resolve(objects):
    configmaps = by_name(objects, "ConfigMap")
    secrets = by_name(objects, "Secret")
    problems = []
    for wl in workloads(objects):
        for kind, name, key, _optional in _references(wl):
            where = f"{wl['metadata']['name']} -> {kind} {name}"
            if kind == "ConfigMap":
                if name not in configmaps:
                    problems.append(f"{where}: no such ConfigMap")
                elif key is not None and key not in configmaps[name].get("data", {}):
                    problems.append(f"{where}: no key {key}")
            elif name not in secrets and name not in EXTERNAL_SECRETS:
                problems.append(f"{where}: neither defined nor a known external Secret")
    assert not problems, "\n".join(problems)


def test_each_service_uses_its_own_credentials(objects):
    for name, dep in doudi_deployments(objects).items():
        for c in containers(dep, init=True):
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref and e["name"] in ("DOUDI_AMQP_URI", DB_URL_ENV[name]):
                    suffix = "amqp-uri" if e["name"] == "DOUDI_AMQP_URI" else "db-url"
                    assert ref == {"name": "doudi-secrets", "key": f"{name}-{suffix}"}, \
                        f"{name}/{c['name']}: {e['name']} from {ref}"


def test_gateway_environment(objects):
    dep = doudi_deployments(objects)["gateway"]
    (main,) = containers(dep)
    env = {e["name"]: e for e in main["env"]}
    # one user store / audit trail for every replica, from the Secret
    assert env["DOUDI_GATEWAY_DB_URL"]["valueFrom"]["secretKeyRef"] == \
        {"name": "doudi-secrets", "key": "gateway-db-url"}
    assert "DOUDI_DB_URL" not in env, "the gateway reads DOUDI_GATEWAY_DB_URL"
    for key in ("jwt-keys", "audit-key", "admin-password"):
        assert key in {e.get("valueFrom", {}).get("secretKeyRef", {}).get("key")
                       for e in env.values()}, key
    # a rotating key set with the audit key apart (issue 20), not one shared secret
    assert "DOUDI_JWT_SECRET" not in env
    assert {"DOUDI_JWT_KEYS", "DOUDI_JWT_KID", "DOUDI_AUDIT_KEY",
            "DOUDI_RATE_LIMIT_STORAGE"} <= set(env)
    # doudi-gateway binds 127.0.0.1:8000 unless told otherwise
    assert env_value(objects, main, "DOUDI_GATEWAY_HOST") == "0.0.0.0"
    port = env_value(objects, main, "DOUDI_GATEWAY_PORT") if "DOUDI_GATEWAY_PORT" in env \
        else "8000"
    assert int(port) in {p["containerPort"] for p in main["ports"]}
    # behind the ingress: one trusted X-Forwarded-* hop
    assert env_value(objects, main, "DOUDI_PROXY_HOPS") == "1"


def test_the_readme_documents_every_secret_key(objects):
    readme = (REPO / "deploy" / "README.md").read_text(encoding="utf-8")
    for wl in workloads(objects):
        for kind, name, key, _ in _references(wl):
            if kind == "Secret":
                assert name in readme, f"deploy/README.md does not mention Secret {name}"
                if key is not None:
                    assert f"`{key}`" in readme, f"deploy/README.md does not document {key}"


# -------------------------------------------------------------------- overlays


@pytest.mark.parametrize("overlay", ["overlays/dev", "overlays/prod"])
def test_overlay_puts_everything_in_its_namespace(overlay):
    objects = render(overlay)
    namespace = NAMESPACES[overlay]
    assert by_name(objects, "Namespace").keys() == {namespace}
    for obj in objects:
        if obj["kind"] not in CLUSTER_SCOPED:
            assert obj["metadata"].get("namespace") == namespace, obj["metadata"]["name"]


def test_dev_overlay_runs_one_replica_with_in_cluster_broker_and_database():
    objects = render("overlays/dev")
    for dep in of_kind(objects, "Deployment"):
        assert dep["spec"].get("replicas") == 1, dep["metadata"]["name"]
    statefulsets = by_name(objects, "StatefulSet")
    assert set(statefulsets) == {"rabbitmq", "postgres"}
    for sts in statefulsets.values():
        assert sts["spec"]["replicas"] == 1
        assert sts["spec"]["volumeClaimTemplates"], sts["metadata"]["name"]
    (rabbit,) = containers(statefulsets["rabbitmq"])
    assert rabbit["image"] == "rabbitmq:3.13-management"
    mounts = {m["mountPath"]: m for m in rabbit["volumeMounts"]}
    volumes = {v["name"]: v for v in pod_spec(statefulsets["rabbitmq"])["volumes"]}
    definitions = volumes[mounts["/etc/rabbitmq/definitions.json"]["name"]]
    assert definitions["secret"]["secretName"] == "rabbitmq-definitions"
    conf_volume = volumes[mounts["/etc/rabbitmq/rabbitmq.conf"]["name"]]
    conf_map = by_name(objects, "ConfigMap")[conf_volume["configMap"]["name"]]
    assert "load_definitions = /etc/rabbitmq/definitions.json" in conf_map["data"]["rabbitmq.conf"]
    assert "rabbitmq_management" in conf_map["data"]["enabled_plugins"]
    (pg,) = containers(statefulsets["postgres"])
    assert pg["image"] == "postgres:15"
    # services find them under the names used in the DOUDI_* URIs
    assert {"rabbitmq", "postgres"} <= set(by_name(objects, "Service"))


def test_dev_copies_of_broker_and_database_files_match_the_originals():
    pairs = [
        (REPO / "deploy/rabbitmq/rabbitmq.conf", K8S / "overlays/dev/rabbitmq/rabbitmq.conf"),
        (REPO / "deploy/postgres/init.sql", K8S / "overlays/dev/postgres/init.sql"),
    ]
    for original, copy in pairs:
        assert copy.read_text(encoding="utf-8") == original.read_text(encoding="utf-8"), \
            f"{copy.relative_to(REPO)} differs from {original.relative_to(REPO)}: cp it again"


def _selects(selector, workload):
    return selector["matchLabels"].items() <= \
        workload["spec"]["template"]["metadata"]["labels"].items()


def test_prod_overlay_is_highly_available():
    objects = render("overlays/prod")
    deployments = doudi_deployments(objects)
    hpas = of_kind(objects, "HorizontalPodAutoscaler")
    pdbs = of_kind(objects, "PodDisruptionBudget")
    keda = {o["spec"]["scaleTargetRef"]["name"]: o for o in of_kind(objects, "ScaledObject")}
    for name, dep in deployments.items():
        scalers = [h for h in hpas if h["spec"]["scaleTargetRef"]["name"] == name]
        if name in keda:
            assert keda[name]["spec"]["minReplicaCount"] >= 2, name
            assert "replicas" not in dep["spec"], f"{name}: KEDA owns replicas"
        elif scalers:
            assert scalers[0]["spec"]["minReplicas"] >= 2, name
            assert "replicas" not in dep["spec"], f"{name}: the HPA owns replicas"
        else:
            assert dep["spec"].get("replicas", 1) >= 2, name
        budgets = [p for p in pdbs if _selects(p["spec"]["selector"], dep)]
        assert len(budgets) == 1, f"{name}: {len(budgets)} PodDisruptionBudgets"
    assert [h["spec"]["scaleTargetRef"]["name"] for h in hpas] == ["gateway"]
    for hpa in hpas:
        target = hpa["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment" and target["name"] in deployments
    assert not of_kind(objects, "StatefulSet"), "prod's RabbitMQ and PostgreSQL: operators"


def test_prod_images_are_pinned():
    objects = render("overlays/prod")
    for wl in workloads(objects):
        for c in containers(wl, init=True):
            image = c["image"]
            if "@sha256:" in image:
                continue
            name, _, tag = image.rpartition(":")
            assert name and "/" not in tag, f"{image}: no tag"
            assert tag not in ("latest", "dev", "main"), f"{image}: floating tag"
            assert re.fullmatch(r"v?\d+\.\d+\.\d+([-.+][0-9A-Za-z.-]+)?", tag), \
                f"{image}: not a release version"
