"""The OpenAPI document as committed in ``docs/openapi.json``:
``uv run python -m doudi_gateway.openapi_doc > docs/openapi.json`` (a test
fails when the committed file is not current)."""

from __future__ import annotations

import json
import sys

from doudi_gateway.app import create_app


def render() -> str:
    app = create_app({"AMQP_URI": "memory://", "GATEWAY_DB_URL": "sqlite://",
                      "JWT_SECRET": "docs-only-not-a-real-key", "LOG_FORMAT": "json"})
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main() -> None:  # pragma: no cover - exercised through the docs test
    sys.stdout.write(render())


if __name__ == "__main__":  # pragma: no cover
    main()
