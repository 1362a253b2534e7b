"""Authentication: tokens, refresh, lockout, rate limit, first-start admin, CLI,
signing key configuration (Flask test client; the broker is unreachable on
purpose — nothing here calls a service)."""

from __future__ import annotations

import jwt
import pytest
from doudi_gateway.app import DEV_JWT_SECRET, audit_key, create_app, jwt_secret, signing_keys

from gateway.tests.conftest import JWT_SECRET, bearer, gateway_test_config


@pytest.fixture
def app(make_gateway):
    app = make_gateway(LOCKOUT_FAILURES=3, LOCKOUT_SECONDS=60)
    app.extensions["doudi_store"].add_user("clerk", "correct-horse", "village_clerk",
                                           "341502001001")
    return app


def login(client, username="clerk", password="correct-horse"):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_login_returns_a_short_lived_bearer_token(app):
    resp = login(app.test_client())
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    claims = jwt.decode(body["access_token"], JWT_SECRET, algorithms=["HS256"])
    assert claims["sub"] == "clerk" and claims["role"] == "village_clerk"
    assert claims["jur"] == "341502001001"
    assert claims["exp"] - claims["iat"] == 900


def test_wrong_password_and_unknown_user_are_the_same_401(app):
    client = app.test_client()
    bad = login(client, password="wrong-password")
    unknown = login(client, username="nobody")
    assert bad.status_code == unknown.status_code == 401
    assert bad.content_type.startswith("application/problem+json")
    assert bad.get_json()["detail"] == unknown.get_json()["detail"]
    assert "password" not in bad.get_data(as_text=True).lower().replace("密码", "")


def test_lockout_after_repeated_failures(app):
    client = app.test_client()
    for _ in range(2):
        assert login(client, password="nope-nope").status_code == 401
    locked = login(client, password="nope-nope")
    assert locked.status_code == 423
    assert int(locked.headers["Retry-After"]) > 0
    # even the right password is refused while locked
    assert login(client).status_code == 423
    app.extensions["doudi_store"].unlock("clerk")
    assert login(client).status_code == 200


def test_token_endpoint_is_rate_limited(make_gateway):
    app = make_gateway(LOGIN_RATE_LIMIT=3, LOGIN_RATE_WINDOW=60)
    client = app.test_client()
    statuses = [login(client, username="x", password="y").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    resp = login(client, username="x", password="y")
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1


def test_missing_fields_are_422_with_field_and_reason(app):
    resp = app.test_client().post("/api/v1/auth/token", json={"username": "clerk"})
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["invalid_params"] == [{"in": "json", "name": "password",
                                       "reason": "Missing data for required field."}]


def test_refresh_token_is_single_use(app):
    client = app.test_client()
    tokens = login(client).get_json()
    first = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert first.status_code == 200
    assert first.get_json()["access_token"] != tokens["access_token"]
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 401
    # an access token is not a refresh token
    wrong = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["access_token"]})
    assert wrong.status_code == 401


def test_tokens_die_with_password_reset_and_disabling(app):
    client = app.test_client()
    store = app.extensions["doudi_store"]
    token = login(client).get_json()["access_token"]
    assert client.get("/api/v1/audit", headers=bearer(token)).status_code == 403  # valid, no perm
    store.reset_password("clerk", "another-password")
    assert client.get("/api/v1/audit", headers=bearer(token)).status_code == 401
    token = login(client, password="another-password").get_json()["access_token"]
    store.set_disabled("clerk")
    assert client.get("/api/v1/audit", headers=bearer(token)).status_code == 401
    assert login(client, password="another-password").status_code == 401


@pytest.mark.parametrize("header", [
    None, "Bearer", "Bearer not-a-jwt", "Basic Y2xlcms6eA==",
    "Bearer " + jwt.encode({"sub": "clerk", "uid": 1, "typ": "access", "iat": 0, "exp": 1},
                           JWT_SECRET, algorithm="HS256"),
    "Bearer " + jwt.encode({"sub": "clerk", "uid": 1, "typ": "access", "iat": 0,
                            "exp": 9999999999, "epoch": 0, "role": "admin"},
                           "some-other-secret-key", algorithm="HS256"),
])
def test_bad_tokens_are_401(app, header):
    headers = {"Authorization": header} if header else {}
    resp = app.test_client().get("/api/v1/audit", headers=headers)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_first_start_creates_admin_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("DOUDI_ADMIN_PASSWORD", "first-admin-pw")
    config = gateway_test_config(tmp_path, "pyamqp://guest:guest@127.0.0.1:1/")
    app = create_app(config)
    resp = login(app.test_client(), "admin", "first-admin-pw")
    assert resp.status_code == 200
    assert resp.get_json()["role"] == "admin" and resp.get_json()["jurisdiction"] == ""
    # a second start does not touch an existing store
    monkeypatch.setenv("DOUDI_ADMIN_PASSWORD", "changed-pw-123")
    app2 = create_app(config)
    assert login(app2.test_client(), "admin", "changed-pw-123").status_code == 401


def test_signing_key_is_required_outside_development(monkeypatch):
    for name in ("DOUDI_JWT_SECRET", "DOUDI_JWT_KEYS", "DOUDI_AUDIT_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError):
        signing_keys({"ENVIRONMENT": "production"})
    assert signing_keys({"ENVIRONMENT": "development"}).signing == DEV_JWT_SECRET
    with pytest.raises(RuntimeError):
        jwt_secret({"JWT_SECRET": "short", "ENVIRONMENT": "production"})
    with pytest.raises(RuntimeError, match="too short"):
        signing_keys({"JWT_KEYS": "k1:short", "ENVIRONMENT": "production"})
    with pytest.raises(RuntimeError, match="kid:secret"):
        signing_keys({"JWT_KEYS": "no-separator-here-at-all", "ENVIRONMENT": "production"})
    with pytest.raises(RuntimeError, match="not in"):
        signing_keys({"JWT_KEYS": K1, "JWT_KID": "k9", "ENVIRONMENT": "production"})
    # with a key set, the audit key is its own: refused when missing
    with pytest.raises(RuntimeError, match="DOUDI_AUDIT_KEY"):
        audit_key({"ENVIRONMENT": "production"}, signing_keys({"JWT_KEYS": K1}))


K1 = "k1:first-signing-key-0123456789"
K2 = "k2:second-signing-key-9876543210"
AUDIT = "audit-subject-key-0123456789abcdef"


def _login_token(app) -> str:
    from doudi_common.errors import NotFound

    store = app.extensions["doudi_store"]
    try:
        store.get_user("rotator")
    except NotFound:
        store.add_user("rotator", "password-123", "county_officer", "341502")
    resp = login(app.test_client(), "rotator", "password-123")
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["access_token"]


def _me(app, token) -> int:
    return app.test_client().get("/api/v1/me", headers=bearer(token)).status_code


def test_a_signing_key_is_rotated_with_no_downtime(make_gateway):
    """Tokens carry the kid of the key that signed them; while the old key stays
    in the set its tokens keep working, new tokens use the new key, and once the
    old key is removed its tokens are refused. The audit subject of a person and
    the person links do not change with the token keys (their own key)."""
    pyjwt = jwt
    from doudi_gateway.observe import subject_of

    before = make_gateway(JWT_SECRET=None, JWT_KEYS=K1, AUDIT_KEY=AUDIT)
    old = _login_token(before)
    assert pyjwt.get_unverified_header(old)["kid"] == "k1"
    with before.test_request_context():
        subject = subject_of("110101199003074514")
        link = before.extensions["doudi_person_refs"].seal("110101199003074514")

    during = make_gateway(JWT_SECRET=None, JWT_KEYS=f"{K1},{K2}", JWT_KID="k2",
                          AUDIT_KEY=AUDIT)
    new = _login_token(during)
    assert pyjwt.get_unverified_header(new)["kid"] == "k2"
    assert _me(during, old) == 200 and _me(during, new) == 200

    after = make_gateway(JWT_SECRET=None, JWT_KEYS=K2, AUDIT_KEY=AUDIT)
    assert _me(after, new) == 200
    assert _me(after, old) == 401  # its key was removed
    with after.test_request_context():
        assert subject_of("110101199003074514") == subject
        assert after.extensions["doudi_person_refs"].open(link) == "110101199003074514"


def test_a_token_with_an_unknown_kid_or_none_is_refused_unless_a_legacy_key_verifies(
        make_gateway):
    pyjwt = jwt

    app = make_gateway(JWT_SECRET=None, JWT_KEYS=K1, AUDIT_KEY=AUDIT)
    token = _login_token(app)
    claims = pyjwt.decode(token, K1.split(":", 1)[1], algorithms=["HS256"])
    forged = pyjwt.encode(claims, "an-attackers-key-0123456789", algorithm="HS256",
                          headers={"kid": "k1"})
    unknown = pyjwt.encode(claims, "whatever-key-0123456789", algorithm="HS256",
                           headers={"kid": "k7"})
    no_kid = pyjwt.encode(claims, K1.split(":", 1)[1], algorithm="HS256")
    assert [_me(app, t) for t in (forged, unknown, no_kid)] == [401, 401, 401]
    # a deployment moving from the single JWT_SECRET to a key set: tokens issued
    # before (no kid) verify with that secret while it stays configured
    legacy = make_gateway(JWT_KEYS=K1, AUDIT_KEY=AUDIT)  # JWT_SECRET still set
    before = pyjwt.encode(claims, JWT_SECRET, algorithm="HS256")
    assert _me(legacy, before) == 200 and _me(legacy, no_kid) == 401
    assert pyjwt.get_unverified_header(_login_token(legacy))["kid"] == "k1"


def test_cli_adds_resets_disables(tmp_path, monkeypatch, capsys):
    import io

    from doudi_gateway.cli import main
    from doudi_gateway.store import Store

    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("DOUDI_GATEWAY_DB_URL", url)
    monkeypatch.setattr("sys.stdin", io.StringIO("first-password\n"))
    assert main(["add-user", "li", "--role", "township_officer", "--jurisdiction",
                 "341502001", "--password-stdin"]) == 0
    assert "township_officer\t341502001" in capsys.readouterr().out
    store = Store(url)
    assert store.authenticate("li", "first-password", 5,
                              __import__("datetime").timedelta(1))[0] == "ok"
    monkeypatch.setattr("sys.stdin", io.StringIO("second-password\n"))
    assert main(["reset-password", "li", "--password-stdin"]) == 0
    assert store.authenticate("li", "first-password", 5,
                              __import__("datetime").timedelta(1))[0] == "bad"
    assert main(["disable", "li"]) == 0
    assert store.get_user("li")["disabled"]
    monkeypatch.setattr("sys.stdin", io.StringIO("third-password\n"))
    assert main(["add-user", "bad", "--role", "county_officer", "--jurisdiction", "99",
                 "--password-stdin"]) == 1


def test_client_address_behind_a_trusted_proxy(make_gateway):
    app = make_gateway(PROXY_HOPS=1, LOGIN_RATE_LIMIT=2)
    client = app.test_client()
    fwd = {"X-Forwarded-For": "203.0.113.7"}
    for _ in range(2):
        client.post("/api/v1/auth/token", json={"username": "x", "password": "y"}, headers=fwd)
    assert client.post("/api/v1/auth/token", json={"username": "x", "password": "y"},
                       headers=fwd).status_code == 429
    # another client behind the same proxy is not limited
    assert client.post("/api/v1/auth/token", json={"username": "x", "password": "y"},
                       headers={"X-Forwarded-For": "203.0.113.8"}).status_code == 401
    entries, _ = app.extensions["doudi_store"].audit_query(action="auth.token")
    assert {e["remote_addr"] for e in entries} == {"203.0.113.7", "203.0.113.8"}
    assert {e["outcome"] for e in entries} == {"denied", "rate_limited"}
    assert all(e["username"] == "x" for e in entries)


def test_no_audit_no_write(make_gateway):
    """The audit entry is written before the write: a broken audit store refuses it."""
    import sqlalchemy as sa

    from gateway.tests.conftest import token_for

    app = make_gateway()
    store = app.extensions["doudi_store"]
    user = store.add_user("c1", "password-123", "county_officer", "341502")
    with store.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE audit_log"))
    resp = app.test_client().post("/api/v1/persons", headers=bearer(token_for(app, user)),
                                  json={"id_number": "x"})
    assert resp.status_code == 503
    assert resp.get_json()["code"] == "audit_unavailable" and resp.headers["Retry-After"]


def test_cors_preflight_for_the_portal_only(make_gateway):
    app = make_gateway(CORS_ORIGINS="https://portal.example.org, https://admin.example.org")
    client = app.test_client()
    resp = client.options("/api/v1/persons", headers={
        "Origin": "https://portal.example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization, Content-Type, Idempotency-Key"})
    assert resp.status_code == 200
    assert resp.headers["Access-Control-Allow-Origin"] == "https://portal.example.org"
    assert "Idempotency-Key" in resp.headers["Access-Control-Allow-Headers"]
    assert "X-Request-Id" in resp.headers["Access-Control-Expose-Headers"]
    other = client.options("/api/v1/persons", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    # a real request without a token is still 401, with the CORS headers for the portal
    resp = client.get("/api/v1/audit", headers={"Origin": "https://admin.example.org"})
    assert resp.status_code == 401
    assert resp.headers["Access-Control-Allow-Origin"] == "https://admin.example.org"


def test_docs_and_openapi_are_public_and_describe_security(make_gateway):
    client = make_gateway().test_client()
    for path in ("/api/v1/docs", "/api/v1/swagger"):
        resp = client.get(path)
        assert resp.status_code == 200 and b"<html" in resp.data.lower(), path
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["security"] == [{"bearerAuth": []}]
    assert spec["paths"]["/api/v1/auth/token"]["post"]["security"] == []
    person = spec["paths"]["/api/v1/persons/{id_number}"]["get"]["responses"]
    assert person["401"]["content"]["application/problem+json"]["schema"]["$ref"] \
        == "#/components/schemas/Problem"
    assert "403" in person and "404" in person and "503" in person and "504" in person


def test_with_its_storage_down_the_limit_lets_logins_through_and_counts_it(make_gateway):
    app = make_gateway(RATE_LIMIT_STORAGE="redis://127.0.0.1:1/0", LOGIN_RATE_LIMIT=2)
    from doudi_gateway.auth import RATE_LIMIT_ERRORS

    before = RATE_LIMIT_ERRORS._value.get()
    client = app.test_client()
    statuses = [client.post("/api/v1/auth/token", json={
        "username": "nobody", "password": "wrong"}).status_code for _ in range(4)]
    assert statuses == [401] * 4
    assert RATE_LIMIT_ERRORS._value.get() == before + 4
