"""The permission table, exhaustively: every endpoint without a token is 401;
every role × endpoint is 403 exactly when the table says so (and never 401/500
otherwise). No service runs in the broker's vhost on purpose: an allowed call gets as
far as the RPC (503, no such service) or argument validation (422), which is all
this checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from doudi_common.testing.idnumbers import make_id_number
from doudi_gateway.app import create_app
from doudi_gateway.permission_docs import endpoint_permissions
from doudi_gateway.permissions import PERMISSIONS, ROLES, allowed, render_markdown

from gateway.tests.conftest import add_role_users, bearer, gateway_test_config, token_for

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = {"id_number": make_id_number(region="341502"), "uscc": "12341500MB1234567G",
          "application_id": "APP-341502-2026-000001", "enrolment_id": "ENR-2026-000001",
          "placement_id": "PL-1", "inspection_id": "INS-1", "county_code": "341502",
          "division_code": "341502", "month": "2026-03", "record_id": "REC-1",
          "alert_id": "ALR-1", "pack_id": "luan-2021",
          "code": "BED-D", "bed_no": "101-1", "finding_id": "1",
          "account_code": "pilot:341502", "txn_id": "TXN-1", "case_id": "NB-341502-000001-20260301",
          "donation_id": "DON-1", "jurisdiction": "341502", "job_id": "JOB-1",
          "username": "no_such_user"}


@pytest.fixture(scope="module")
def gw(tmp_path_factory, bare_vhost):
    tmp = tmp_path_factory.mktemp("perm")
    app = create_app(gateway_test_config(tmp, bare_vhost, RPC_TIMEOUT=1))
    users = add_role_users(app)
    tokens = {role: token_for(app, user) for role, user in users.items()}
    return app, tokens


def _endpoints():
    app = create_app(gateway_test_config(Path("/tmp"), "memory://", GATEWAY_DB_URL="sqlite://",
                                         AUTO_MIGRATE=False))
    return endpoint_permissions(app)


ENDPOINTS = _endpoints()


def concrete(path: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLE[m.group(1)], path)


def call(client, method: str, path: str, headers: dict):
    return client.open(concrete(path), method=method, json={}, headers=headers)


def test_every_endpoint_names_a_known_permission():
    assert len(ENDPOINTS) > 40
    missing = [(m, p) for m, p, perm in ENDPOINTS if perm not in PERMISSIONS]
    assert missing == []


def test_permissions_doc_is_current():
    text = (ROOT / "docs" / "permissions.md").read_text(encoding="utf-8")
    assert text == render_markdown(ENDPOINTS), \
        "regenerate: uv run python -m doudi_gateway.permission_docs > docs/permissions.md"


def test_every_role_has_a_row_and_admin_has_everything():
    assert set(ROLES) == {"village_clerk", "township_officer", "county_officer", "city_officer",
                          "institution_staff", "department_liaison", "auditor", "admin"}
    assert all(allowed("admin", p) for p in PERMISSIONS)
    # auditors and liaisons never write
    for role in ("auditor", "department_liaison", "city_officer"):
        writes = [p for p in PERMISSIONS if allowed(role, p) and not p.endswith(":read")
                  and p != "persons:read_full" and p != "inspections:write"]
        assert writes == [], role


@pytest.mark.parametrize("method,path", [(m, p) for m, p, _ in ENDPOINTS],
                         ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
def test_without_token_401(gw, method, path):
    app, _ = gw
    resp = call(app.test_client(), method, path, {})
    assert resp.status_code == 401, resp.get_json()
    assert resp.content_type.startswith("application/problem+json")


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("method,path,permission", ENDPOINTS,
                         ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
def test_role_by_endpoint(gw, role, method, path, permission):
    app, tokens = gw
    resp = call(app.test_client(), method, path, bearer(tokens[role]))
    if allowed(role, permission):
        assert resp.status_code not in (401, 403, 500), (resp.status_code, resp.get_json())
    else:
        assert resp.status_code == 403, (resp.status_code, resp.get_json())
        assert resp.get_json()["permission"] == permission
