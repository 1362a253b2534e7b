"""The permission table of docs/permissions.md, from the routes the app really
has: ``uv run python -m doudi_gateway.permission_docs > docs/permissions.md``
(a test checks the committed page is current)."""

from __future__ import annotations

from doudi_gateway.auth import PUBLIC_ENDPOINTS
from doudi_gateway.permissions import render_markdown


def endpoint_permissions(app) -> list[tuple[str, str, str]]:
    """(method, path, permission) for every protected route of ``app``."""
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        perm = getattr(app.view_functions[rule.endpoint], "_doudi_permission", None)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((method, rule.rule, perm))
    return sorted(out, key=lambda e: (e[1], e[0]))


def main() -> None:  # pragma: no cover - exercised through the docs test
    from doudi_gateway.app import create_app

    app = create_app({"AMQP_URI": "memory://", "GATEWAY_DB_URL": "sqlite://",
                      "JWT_SECRET": "docs-only-not-a-real-key", "LOG_FORMAT": "json"})
    print(render_markdown(endpoint_permissions(app)), end="")


if __name__ == "__main__":  # pragma: no cover
    main()
