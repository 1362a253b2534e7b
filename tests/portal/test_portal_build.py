"""The portal's own checks, run from ``make test``: its unit tests (Vitest), the
type check (vue-tsc), the generated API types against the live OpenAPI document,
and the bundle budget read from the build manifest."""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path

import pytest

from tests.portal.conftest import ROOT, portal_dist

PORTAL = ROOT / "portal"
#: the login route's budget: gzipped JS + CSS it loads before the first paint
LOGIN_BUDGET = 300 * 1024


def npx(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    portal_dist()  # npm ci has run
    return subprocess.run(["npx", "--no-install", *args], cwd=PORTAL, text=True,
                          capture_output=True, timeout=timeout)


def test_the_unit_tests_pass():
    done = npx("vitest", "run", "--reporter=dot")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout


def test_the_types_check():
    done = npx("vue-tsc", "--noEmit", "-p", "tsconfig.json")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_the_committed_api_types_are_what_the_live_document_generates(tmp_path):
    from doudi_gateway.openapi_doc import render

    live = tmp_path / "openapi.json"
    live.write_text(render(), encoding="utf-8")
    out = tmp_path / "schema.d.ts"
    done = npx("openapi-typescript", str(live), "--default-non-nullable", "false",
               "-o", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    committed = (PORTAL / "src" / "api" / "schema.d.ts").read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == committed, (
        "portal/src/api/schema.d.ts is stale: regenerate the document "
        "(python -m doudi_gateway.openapi_doc > docs/openapi.json) then `npm run api`")


def closure(manifest: dict, key: str, seen: set[str]) -> set[str]:
    """Every file a chunk loads statically (its imports, their imports, CSS)."""
    if key in seen:
        return set()
    seen.add(key)
    chunk = manifest[key]
    files = {chunk["file"], *chunk.get("css", ())}
    for imported in chunk.get("imports", ()):
        files |= closure(manifest, imported, seen)
    return files


def gz_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def test_the_login_route_loads_within_the_budget():
    dist = portal_dist()
    manifest = json.loads((dist / ".vite" / "manifest.json").read_text())
    entry = next(k for k, v in manifest.items() if v.get("isEntry"))
    login = closure(manifest, entry, set()) | closure(manifest, "src/views/LoginView.vue", set())
    sizes = {f: gz_size(dist / f) for f in login if f.endswith((".js", ".css"))}
    total = sum(sizes.values())
    assert total <= LOGIN_BUDGET, json.dumps(sizes, indent=1)
    # code-split: the charts and the workbench are not on the login page
    everything = sum(gz_size(p) for p in (dist / "assets").glob("*.js"))
    assert total < everything / 2
    assert not any("echarts" in f.lower() for f in login)


@pytest.mark.parametrize("name", ["index.html"])
def test_nothing_is_loaded_from_another_host(name):
    html = (portal_dist() / name).read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html
    assert "<script>" not in html  # no inline script (the CSP forbids it)
