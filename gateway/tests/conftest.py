"""Gateway test helpers: an app on a fresh SQLite user store, users of every
role, and tokens for them."""

from __future__ import annotations

import pytest
from doudi_gateway.app import create_app

JWT_SECRET = "test-secret-for-the-gateway-tests"
ROLE_JURISDICTION = {
    "village_clerk": "341502001001",
    "township_officer": "341502001",
    "county_officer": "341502",
    "city_officer": "341500",
    "institution_staff": "341502",
    "department_liaison": "341500",
    "auditor": "",
    "admin": "",
}
INSTITUTION = "12341500MB1234567G"


def gateway_test_config(tmp_path, amqp_uri: str, **overrides) -> dict:
    config = {"AMQP_URI": amqp_uri, "RPC_TIMEOUT": 3, "READY_TIMEOUT": 1,
              "SERVICES": ["eligibility", "institutions", "funding", "services_log"],
              "LOG_FORMAT": "json", "GATEWAY_DB_URL": f"sqlite:///{tmp_path}/gateway.db",
              "JWT_SECRET": JWT_SECRET, "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024,
              "LOGIN_RATE_LIMIT": 1000, "CHECK_REPLIES": True}
    config.update(overrides)
    return config


def add_role_users(app, password: str = "password-123") -> dict[str, dict]:
    store = app.extensions["doudi_store"]
    users = {}
    for role, jurisdiction in ROLE_JURISDICTION.items():
        users[role] = store.add_user(
            f"u_{role}", password, role, jurisdiction,
            institution_id=INSTITUTION if role == "institution_staff" else None)
    return users


def token_for(app, user: dict) -> str:
    from doudi_gateway.auth import issue_tokens

    with app.test_request_context():
        return issue_tokens(user)["access_token"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def role_headers(app, users: dict[str, tuple], password: str = "password-123") -> dict:
    """Add users to the app's store and give each one's bearer header:
    ``{username: (role, jurisdiction[, institution_id])}`` → ``{username: headers}``."""
    store = app.extensions["doudi_store"]
    return {name: bearer(token_for(app, store.add_user(
                name, password, role, where, institution_id=inst[0] if inst else None)))
            for name, (role, where, *inst) in users.items()}


def ok(resp, status=(200, 201)):
    """The JSON body of a response that has the expected status."""
    assert resp.status_code in ((status,) if isinstance(status, int) else status), \
        (resp.status_code, resp.get_json())
    return resp.get_json()


def param_names(resp) -> set[str]:
    """The fields a 422 names in ``invalid_params`` (the gateway's own validation)."""
    return {p["name"] for p in resp.get_json().get("invalid_params", [])}


def field_names(resp) -> set[str]:
    """``param_names`` plus the field a service's own refusal names (``fields.field``)."""
    service_field = resp.get_json().get("fields", {}).get("field")
    return param_names(resp) | ({service_field} if service_field else set())


@pytest.fixture(scope="module")
def bare_vhost():
    """A RabbitMQ vhost of its own with no service in it (module-scoped, so many
    requests can cheaply reach "no such service" over a real broker)."""
    import uuid

    import requests

    api = "http://guest:guest@localhost:15672/api"
    name = f"gw-{uuid.uuid4().hex[:10]}"
    requests.put(f"{api}/vhosts/{name}", timeout=10).raise_for_status()
    requests.put(f"{api}/permissions/{name}/guest", json={
        "configure": ".*", "write": ".*", "read": ".*"}, timeout=10).raise_for_status()
    yield f"pyamqp://guest:guest@localhost:5672/{name}"
    requests.delete(f"{api}/vhosts/{name}", timeout=10)


@pytest.fixture
def make_gateway(tmp_path):
    def make(amqp_uri: str = "pyamqp://guest:guest@127.0.0.1:1/", **overrides):
        return create_app(gateway_test_config(tmp_path, amqp_uri, **overrides))

    return make


def assess_full_incapacity(client, headers: dict, publish_as, pid: str, today,
                           assessment_id: str) -> None:
    """Health reports a full incapacity (GB/T 42195-2022 level 3, assessed ten
    days ago); wait until the person is eligible through the gateway."""
    from datetime import timedelta

    from doudi_common.testing.fixtures import wait_for

    publish_as("health", "assessment.completed", {
        "id_number": pid, "assessment_id": assessment_id, "standard": "GB/T 42195-2022",
        "level": 3, "incapacity_level": "full",
        "assessed_on": (today - timedelta(days=10)).isoformat(),
        "valid_until": (today + timedelta(days=700)).isoformat(),
        "assessor_uscc": "12341500485912345J"})
    wait_for(lambda: client.get(f"/api/v1/persons/{pid}/eligibility", headers=headers)
             .get_json().get("eligible"), timeout=20, message="eligible after the assessment")

