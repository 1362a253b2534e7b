"""RabbitMQ topology and users: ``deploy/rabbitmq/definitions.json``.

    doudi-rabbit generate > deploy/rabbitmq/definitions.json   # from the code
    doudi-rabbit apply [--api http://guest:guest@localhost:15672] [--vhost /]

The definitions hold the event exchanges ``<source>.events`` (topic, durable),
the dead-letter exchange ``doudi.dlx`` with one durable queue per consuming
service, every subscription queue of every service (declared at deploy time so
events published before a consumer first starts are kept), one user per
department limited to its own exchange and its own queues (including topic
permissions), and one user per service.

Committed password hashes are of the *development* passwords below; ``apply``
re-hashes from ``DOUDI_<USER>_PASSWORD`` when set, and production builds its
Secret with ``generate --passwords-from-env``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request

from doudi_common.queue_types import QUEUE_TYPES, durable_arguments

DEPARTMENTS = ("cdpf", "health", "medical_insurance")
SERVICES = ("eligibility", "institutions", "funding", "services_log")
SOURCES = SERVICES + DEPARTMENTS
DLX = "doudi.dlx"


def dev_password(user: str) -> str:
    """Development-only default, documented in README; never used in production."""
    return f"{user}-dev"


def password_for(user: str) -> str:
    return os.environ.get(f"DOUDI_{user.upper()}_PASSWORD") or dev_password(user)


def rabbit_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's rabbit_password_hashing_sha256: base64(salt + sha256(salt + pw))."""
    salt = salt if salt is not None else secrets.token_bytes(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def _escape(name: str) -> str:
    return name.replace(".", r"\.")


def subscriptions() -> list[dict]:
    """Every ``@subscribe`` of every service: (service, source, method, patterns)."""
    from doudi_common.entrypoints import EventSubscriber
    from doudi_common.runner import service_class

    found = []
    for key in SERVICES:
        cls = service_class(key)
        for attr in sorted(dir(cls)):
            for ext in getattr(getattr(cls, attr, None), "nameko_entrypoints", ()):
                if isinstance(ext, EventSubscriber):
                    found.append({"service": key, "source": ext.source, "method": attr,
                                  "patterns": ext.patterns})
    return found


def department_subscriptions() -> dict[str, dict[str, list[str]]]:
    """What each department consumes (the department contract in doudi-contracts)."""
    from doudi_contracts.subscriptions import DEPARTMENT_SUBSCRIPTIONS

    return DEPARTMENT_SUBSCRIPTIONS


def _department_access(dept: str, vhost: str) -> tuple[dict, list[dict]]:
    """A department's permissions: its own queues, publishing only to its own
    exchange, reading its own and the services' exchanges."""
    own = f"^{_escape(dept)}\\..*"
    permission = {
        "user": dept, "vhost": vhost,
        "configure": own,
        "write": f"^({_escape(dept)}\\.events|{_escape(dept)}\\..*)$",
        "read": "^(" + "|".join([f"{_escape(dept)}\\..*"]
                                + [f"{_escape(s)}\\.events" for s in SERVICES]) + ")$",
    }
    topics = [{"user": dept, "vhost": vhost, "exchange": f"{source}.events",
               "write": ".*" if source == dept else "^$",
               "read": ".*" if (source == dept or source in SERVICES) else "^$"}
              for source in SOURCES]
    return permission, topics


def _service_access(svc: str, vhost: str) -> tuple[dict, list[dict]]:
    """A service's (or the gateway's) permissions: its own and the RPC queues,
    publishing only to its own exchange."""
    permission = {
        "user": svc, "vhost": vhost,
        "configure": "^(" + "|".join([f"{_escape(svc)}\\..*", "rpc-.*", "rpc\\.reply-.*",
                                      "nameko-rpc", "doudi\\..*", ".*\\.events"]) + ")$",
        "write": "^(" + "|".join([f"{_escape(svc)}\\..*", "rpc-.*", "rpc\\.reply-.*",
                                  "nameko-rpc", "doudi\\..*"]) + ")$",
        "read": ".*",
    }
    topics = [] if svc == "gateway" else [
        {"user": svc, "vhost": vhost, "exchange": f"{source}.events",
         "write": ".*" if source == svc else "^$", "read": ".*"} for source in SOURCES]
    return permission, topics


def _queue(name: str, vhost: str, arguments: dict | None = None,
           queue_type: str = "classic") -> dict:
    return {"name": name, "vhost": vhost, "durable": True, "auto_delete": False,
            "arguments": durable_arguments(arguments, queue_type)}


def _bindings(source: str, name: str, patterns, vhost: str) -> list[dict]:
    return [{"source": source, "vhost": vhost, "destination": name,
             "destination_type": "queue", "routing_key": pattern, "arguments": {}}
            for pattern in patterns]


def _topology(vhost: str, queue_type: str = "classic"
              ) -> tuple[list[dict], list[dict], list[dict]]:
    """Exchanges, queues and bindings: one topic exchange per source, a dead
    letter queue per service, the services' subscription queues and the
    departments' own (durable from deploy time on, so nothing published
    before their consumer runs is lost)."""
    exchanges = [{"name": f"{s}.events", "vhost": vhost, "type": "topic", "durable": True,
                  "auto_delete": False, "internal": False, "arguments": {}} for s in SOURCES]
    exchanges.append({"name": DLX, "vhost": vhost, "type": "direct", "durable": True,
                      "auto_delete": False, "internal": False, "arguments": {}})
    queues, bindings = [], []
    for svc in SERVICES:
        queues.append(_queue(f"doudi.dlq.{svc}", vhost, queue_type=queue_type))
        bindings.extend(_bindings(DLX, f"doudi.dlq.{svc}", [svc], vhost))
    for sub in subscriptions():
        name = f"{sub['service']}.{sub['source']}.{sub['method']}"
        queues.append(_queue(name, vhost, {"x-dead-letter-exchange": DLX,
                                           "x-dead-letter-routing-key": sub["service"]},
                             queue_type))
        bindings.extend(_bindings(f"{sub['source']}.events", name, sub["patterns"], vhost))
    for dept, sources in department_subscriptions().items():
        for source, patterns in sources.items():
            name = f"{dept}.{source}.main"
            queues.append(_queue(name, vhost, queue_type=queue_type))
            bindings.extend(_bindings(f"{source}.events", name, patterns, vhost))
    return exchanges, queues, bindings


def generate(vhost: str = "/", passwords_from_env: bool = False,
             fixed_salt: bool = True, queue_type: str = "classic") -> dict:
    def user(name: str, tag: str) -> dict:
        pw = password_for(name) if passwords_from_env else dev_password(name)
        # a fixed salt keeps the committed file stable between runs (dev only)
        salt = hashlib.sha256(name.encode()).digest()[:4] \
            if fixed_salt and not passwords_from_env else None
        return {"name": name, "password_hash": rabbit_hash(pw, salt=salt),
                "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": [tag],
                "limits": {}}

    # an administrator for ops and `doudi-rabbit apply`: a broker that loads
    # definitions at boot creates no guest user
    users = [user("admin", "administrator")]
    permissions = [{"user": "admin", "vhost": vhost, "configure": ".*", "write": ".*",
                    "read": ".*"}]
    topic_permissions: list[dict] = []
    for name, tag, access in ([(d, "department", _department_access) for d in DEPARTMENTS]
                              + [(s, "service", _service_access)
                                 for s in (*SERVICES, "gateway")]):
        users.append(user(name, tag))
        permission, topics = access(name, vhost)
        permissions.append(permission)
        topic_permissions.extend(topics)
    exchanges, queues, bindings = _topology(vhost, queue_type)
    return {
        "rabbit_version": "3.10.8",
        "rabbitmq_version": "3.10.8",
        "users": users,
        "vhosts": [{"name": vhost}],
        "permissions": permissions,
        "topic_permissions": topic_permissions,
        "parameters": [], "global_parameters": [], "policies": [],
        "queues": queues, "exchanges": exchanges, "bindings": bindings,
    }


def retarget(definitions: dict, vhost: str, rehash_from_env: bool = True) -> dict:
    """Point a definitions document at another vhost (tests use a fresh one) and
    set each user's password from the environment (or its dev default)."""
    doc = json.loads(json.dumps(definitions))
    doc["vhosts"] = [{"name": vhost}]
    for key in ("permissions", "topic_permissions", "queues", "exchanges", "bindings"):
        for item in doc.get(key, []):
            item["vhost"] = vhost
    if rehash_from_env:
        for user in doc.get("users", []):
            user["password_hash"] = rabbit_hash(password_for(user["name"]))
    return doc


def _request(api: str, method: str, path: str, body: dict | None = None):
    parts = urllib.parse.urlsplit(api)
    base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}"
    req = urllib.request.Request(base + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"content-type": "application/json"})
    token = base64.b64encode(
        f"{urllib.parse.unquote(parts.username or 'guest')}:"
        f"{urllib.parse.unquote(parts.password or 'guest')}".encode()).decode()
    req.add_header("authorization", f"Basic {token}")
    with urllib.request.urlopen(req, timeout=30) as resp:
        data = resp.read()
        return json.loads(data) if data else None


def apply(definitions: dict, api: str = "http://guest:guest@localhost:15672",
          vhost: str = "/") -> None:
    doc = retarget(definitions, vhost)
    _request(api, "POST", "/api/definitions", doc)


def load_file(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="doudi-rabbit")
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="print definitions.json built from the code")
    gen.add_argument("--vhost", default="/")
    gen.add_argument("--passwords-from-env", action="store_true",
                     help="hash DOUDI_<USER>_PASSWORD instead of the dev defaults (production)")
    gen.add_argument("--queue-type", choices=QUEUE_TYPES, default="classic",
                     help="durable queues as classic (dev) or quorum queues (production)")
    app = sub.add_parser("apply", help="load definitions into a running RabbitMQ")
    app.add_argument("--definitions", default="deploy/rabbitmq/definitions.json")
    app.add_argument("--api", default=os.environ.get(
        "DOUDI_RABBIT_API", "http://guest:guest@localhost:15672"))
    app.add_argument("--vhost", default="/")
    args = parser.parse_args(argv)
    if args.command == "generate":
        json.dump(generate(args.vhost, args.passwords_from_env, queue_type=args.queue_type),
                  sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    try:
        apply(load_file(args.definitions), args.api, args.vhost)
    except (urllib.error.URLError, OSError) as exc:
        print(f"doudi-rabbit: cannot reach the RabbitMQ management API at {args.api}: {exc}\n"
              "  enable it with: rabbitmq-plugins enable rabbitmq_management", file=sys.stderr)
        return 1
    print(f"doudi-rabbit: definitions applied to vhost {args.vhost!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
