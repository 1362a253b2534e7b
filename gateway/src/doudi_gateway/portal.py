"""The staff portal, served by the gateway: the Vite build of ``portal/``
(``PORTAL_DIR``, default ``portal/dist`` of the checkout; ``/app/portal`` in the
gateway image) at ``/``. Hashed assets under ``/assets/`` are cached for a year
(their names change with their content); every other path that is not the API
answers the portal's ``index.html`` (history-mode routes such as
``/persons/3415…``), never cached, so a new build is picked up at once.

Every response carries ``X-Frame-Options: DENY``, ``Referrer-Policy`` and
``X-Content-Type-Options``; the portal's pages carry a Content-Security-Policy
that allows no inline script and nothing from another host."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, send_from_directory
from werkzeug.routing import PathConverter

from doudi_gateway.problems import problem

#: what a portal page may load: only its own files and its own API
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
YEAR = 365 * 24 * 3600
bp = Blueprint("portal", __name__)


class PortalPath(PathConverter):
    """A path of the portal: anything but the API and the probes (a typo there
    stays the API's own 404, and a wrong method its 405)."""

    regex = r"(?!api/|api$|healthz|readyz|metrics|assets/)[^/].*?"


def portal_dir() -> Path:
    configured = current_app.config["DOUDI"].get("PORTAL_DIR")
    if configured:
        return Path(configured)
    from doudi_common.config import repo_root

    return repo_root() / "portal" / "dist"


def _page() -> Response:
    root = portal_dir()
    if not (root / "index.html").is_file():
        return problem(503, "门户尚未构建：请运行 make run（它会构建 portal/）",
                       code="portal_not_built", headers={"Retry-After": "30"})
    resp = send_from_directory(str(root), "index.html", max_age=0)
    resp.headers["Cache-Control"] = "no-cache"
    resp.headers["Content-Security-Policy"] = CSP
    return resp


@bp.route("/assets/<path:filename>")
def asset(filename: str):  # type: ignore[no-untyped-def]
    resp = send_from_directory(str(portal_dir() / "assets"), filename, max_age=YEAR)
    resp.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return resp


@bp.route("/", defaults={"path": ""})
@bp.route("/<portal:path>")
def page(path: str):  # type: ignore[no-untyped-def]
    root = portal_dir()
    if path and "/" not in path and (root / path).is_file():  # favicon.ico, robots.txt
        return send_from_directory(str(root), path, max_age=86400)
    return _page()


def _headers(resp: Response) -> Response:
    resp.headers.setdefault("X-Frame-Options", "DENY")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    return resp


def install(app: Flask) -> None:
    app.url_map.converters["portal"] = PortalPath
    app.register_blueprint(bp)
    app.after_request(_headers)
