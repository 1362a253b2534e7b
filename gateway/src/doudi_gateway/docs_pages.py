"""The API's documentation pages, offline: Swagger UI's assets come from the
``swagger-ui-bundle`` package and are served by the gateway itself, so the
pages work on a government intranet with no way out. ``/api/v1/docs`` is the
same page as ``/api/v1/swagger`` (one viewer, nothing fetched from elsewhere)."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, send_from_directory
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/api/v1/assets/swagger-ui/"

bp = Blueprint("docs_assets", __name__)


@bp.route(ASSETS + "<path:filename>")
def swagger_ui_asset(filename: str):  # type: ignore[no-untyped-def]
    return send_from_directory(str(swagger_ui_path), filename, max_age=86400)


@bp.route("/api/v1/docs")
def docs():  # type: ignore[no-untyped-def]
    return current_app.view_functions["api-docs.openapi_swagger_ui"]()


def install(app: Flask) -> None:
    app.config.update(OPENAPI_SWAGGER_UI_PATH="/swagger", OPENAPI_SWAGGER_UI_URL=ASSETS)
    app.register_blueprint(bp)
