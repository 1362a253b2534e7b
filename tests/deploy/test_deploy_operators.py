"""The prod overlay's operator objects (issue 20): CloudNativePG, the RabbitMQ
Cluster Operator, KEDA and the External Secrets Operator, the network policies,
the Ingress and the disruption budgets — their required fields and every
cross-reference: each Secret, ConfigMap, Service, Deployment and queue a
manifest names exists."""

from __future__ import annotations

import pytest
from doudi_common.rabbit import generate, subscriptions

from .facts import EXTERNAL_SECRETS, SERVICES, render


@pytest.fixture(scope="module")
def prod() -> list[dict]:
    return render("overlays/prod")


def kind(objects, name):
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == name}


def one(objects, name):
    (obj,) = kind(objects, name).values()
    return obj


def secret_keys(objects) -> dict[str, set[str]]:
    """Secrets the overlay makes (ExternalSecret targets) -> their keys."""
    found: dict[str, set[str]] = {}
    for es in kind(objects, "ExternalSecret").values():
        spec = es["spec"]
        assert spec["secretStoreRef"]["name"] and spec["secretStoreRef"]["kind"]
        keys = {d["secretKey"] for d in spec.get("data", [])}
        keys |= set(spec["target"].get("template", {}).get("data", {}))
        found[spec["target"]["name"]] = keys
    return found


def pod_labels(obj) -> dict:
    return obj["spec"]["template"]["metadata"]["labels"]


def selects(selector: dict, labels: dict) -> bool:
    return selector.get("matchLabels", {}).items() <= labels.items()


def test_postgres_is_a_cloudnativepg_cluster_with_backups(prod):
    cluster = one(prod, "Cluster")
    spec, secrets = cluster["spec"], secret_keys(prod)
    assert spec["instances"] >= 3 and spec["storage"]["size"]
    store = spec["backup"]["barmanObjectStore"]
    assert store["destinationPath"].startswith("s3://") and spec["backup"]["retentionPolicy"]
    for ref in store["s3Credentials"].values():
        assert ref["key"] in secrets[ref["name"]], ref
    owners = {spec["bootstrap"]["initdb"]["database"]: spec["bootstrap"]["initdb"]["owner"]}
    assert "username" in secrets[spec["bootstrap"]["initdb"]["secret"]["name"]]
    roles = {r["name"]: r for r in spec["managed"]["roles"]}
    for role in roles.values():
        assert role["login"] and "password" in secrets[role["passwordSecret"]["name"]]
    for db in kind(prod, "Database").values():
        assert db["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
        assert db["spec"]["owner"] in roles
        owners[db["spec"]["name"]] = db["spec"]["owner"]
    # one database per component, owned by the component's own role
    assert owners == {"gateway": "gateway", **{s.replace("-", "_"): s.replace("-", "_")
                                               for s in SERVICES}}
    (backup,) = kind(prod, "ScheduledBackup").values()
    assert backup["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    assert backup["spec"]["method"] == "barmanObjectStore"
    assert len(backup["spec"]["schedule"].split()) == 6  # CNPG: with seconds


def test_rabbitmq_is_a_three_node_cluster_loading_the_quorum_definitions(prod):
    rabbit = one(prod, "RabbitmqCluster")
    spec = rabbit["spec"]
    assert spec["replicas"] == 3
    assert "rabbitmq_prometheus" in spec["rabbitmq"]["additionalPlugins"]
    config = spec["rabbitmq"]["additionalConfig"]
    pod = spec["override"]["statefulSet"]["spec"]["template"]["spec"]
    (mount,) = pod["containers"][0]["volumeMounts"]
    (volume,) = pod["volumes"]
    assert volume["name"] == mount["name"]
    assert f"load_definitions = {mount['mountPath']}/definitions.json" in config
    assert volume["secret"]["secretName"] in EXTERNAL_SECRETS  # doudi-rabbit generate
    assert "default_queue_type = quorum" in config
    configs = {n.rsplit("-", 1)[0]: c for n, c in kind(prod, "ConfigMap").items()}
    assert configs["doudi-config"]["data"]["DOUDI_QUEUE_TYPE"] == "quorum"
    for dep in kind(prod, "Deployment").values():
        if dep["metadata"]["labels"].get("app.kubernetes.io/component") == "service":
            (main,) = [c for c in dep["spec"]["template"]["spec"]["containers"]
                       if c["name"] == dep["metadata"]["name"]]
            assert "DOUDI_QUEUE_TYPE" in {e["name"] for e in main["env"]}


def test_keda_scales_each_service_on_its_own_queues(prod):
    deployments = kind(prod, "Deployment")
    auths = kind(prod, "TriggerAuthentication")
    secrets = secret_keys(prod)
    queues = {q["name"] for q in generate(queue_type="quorum")["queues"]}
    wanted: dict[str, set[str]] = {}
    for sub in subscriptions():
        wanted.setdefault(sub["service"].replace("_", "-"), set()).add(
            f"{sub['service']}.{sub['source']}.{sub['method']}")
    scaled = kind(prod, "ScaledObject")
    assert set(scaled) == set(SERVICES)
    for name, obj in scaled.items():
        spec = obj["spec"]
        target = deployments[spec["scaleTargetRef"]["name"]]
        assert "replicas" not in target["spec"], f"{name}: KEDA owns the replica count"
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
        names = set()
        for trigger in spec["triggers"]:
            assert trigger["type"] == "rabbitmq" and trigger["metadata"]["mode"] == "QueueLength"
            assert int(trigger["metadata"]["value"]) > 0
            names.add(trigger["metadata"]["queueName"])
            auth = auths[trigger["authenticationRef"]["name"]]
            for ref in auth["spec"]["secretTargetRef"]:
                assert ref["key"] in secrets[ref["name"]], ref
        assert names == wanted[name] and names <= queues, name
    hpas = kind(prod, "HorizontalPodAutoscaler")
    assert {h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()} == {"gateway"}


def test_every_workload_has_one_disruption_budget_that_allows_one_down(prod):
    budgets = list(kind(prod, "PodDisruptionBudget").values())
    for name, dep in kind(prod, "Deployment").items():
        chosen = [b for b in budgets if selects(b["spec"]["selector"], pod_labels(dep))]
        assert len(chosen) == 1, name
        assert chosen[0]["spec"]["maxUnavailable"] == 1  # right at 1 replica or 6


def test_every_key_a_workload_reads_from_an_overlay_secret_exists(prod):
    secrets = secret_keys(prod)
    for wl in [*kind(prod, "Deployment").values(), *kind(prod, "Job").values()]:
        spec = wl["spec"]["template"]["spec"]
        for c in spec["containers"] + spec.get("initContainers", []):
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref and ref["name"] in secrets:
                    assert ref["key"] in secrets[ref["name"]], (wl["metadata"]["name"], ref)


def _ports(policy, direction):
    return {p["port"] for rule in policy["spec"].get(direction, []) for p in rule["ports"]}


def test_network_policies_deny_by_default_and_allow_only_the_suites_paths(prod):
    policies = kind(prod, "NetworkPolicy")
    deny = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny
    allow = [p for n, p in policies.items() if n != "default-deny"]
    rabbit = one(prod, "RabbitmqCluster")["metadata"]["name"]
    cluster = one(prod, "Cluster")["metadata"]["name"]
    for wl in [*kind(prod, "Deployment").values(), *kind(prod, "Job").values()]:
        mine = [p for p in allow if p["spec"]["podSelector"]
                and selects(p["spec"]["podSelector"], pod_labels(wl))]
        assert mine, f"{wl['metadata']['name']}: no policy lets it talk"
        targets = {tuple(sorted(peer.get("podSelector", {}).get("matchLabels", {}).items()))
                   for p in mine for rule in p["spec"].get("egress", []) for peer in rule["to"]}
        assert (("cnpg.io/cluster", cluster),) in targets, wl["metadata"]["name"]
    gateway, services = policies["gateway"], policies["services"]
    assert _ports(gateway, "egress") == {5672, 5432, 6379, 8101}
    assert _ports(services, "egress") == {5672, 5432}
    deps = kind(prod, "Deployment")
    gw_ports = {p["containerPort"] for p in deps["gateway"]["spec"]["template"]["spec"][
        "containers"][0]["ports"]}
    assert _ports(gateway, "ingress") <= gw_ports
    for name in SERVICES:
        (main,) = [c for c in deps[name]["spec"]["template"]["spec"]["containers"]
                   if c["name"] == name]
        metrics = {p["containerPort"] for p in main.get("ports", []) if p["name"] == "metrics"}
        assert _ports(services, "ingress") == metrics, name
    # eligibility's reads over HTTP: from the gateway only, on the port it serves them
    reads = policies["eligibility-reads"]
    (main,) = [c for c in deps["eligibility"]["spec"]["template"]["spec"]["containers"]
               if c["name"] == "eligibility"]
    assert _ports(reads, "ingress") == {p["containerPort"] for p in main["ports"]
                                        if p["name"] == "reads"}
    assert [peer["podSelector"]["matchLabels"] for rule in reads["spec"]["ingress"]
            for peer in rule["from"]] == [{"app.kubernetes.io/name": "gateway"}]
    # the operators' pods are found by the labels the operators give them
    assert policies["rabbitmq"]["spec"]["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": rabbit}
    assert policies["postgres"]["spec"]["podSelector"]["matchLabels"] == {
        "cnpg.io/cluster": cluster}


def test_the_ingress_serves_the_gateway_over_tls(prod):
    ingress = one(prod, "Ingress")
    spec = ingress["spec"]
    hosts = {h for t in spec["tls"] for h in t["hosts"]}
    assert {r["host"] for r in spec["rules"]} <= hosts and all(t["secretName"]
                                                              for t in spec["tls"])
    services = kind(prod, "Service")
    for rule in spec["rules"]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            ports = {p["name"] for p in services[backend["name"]]["spec"]["ports"]}
            assert backend["port"]["name"] in ports
