"""Every service's README maps every module of its domain/, store/ and
service/ (a new module without a line there fails: the map is how a reader
finds a rule in two hops)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVICES = {"eligibility": "doudi_eligibility", "institutions": "doudi_institutions",
            "funding": "doudi_funding", "services-log": "doudi_services_log"}


@pytest.mark.parametrize("service", list(SERVICES))
def test_the_readme_names_every_module(service):
    root = ROOT / "services" / service / "src" / SERVICES[service]
    readme = (ROOT / "services" / service / "README.md").read_text(encoding="utf-8")
    missing = [f"{part}/{p.name}" for part in ("domain", "store", "service")
               for p in sorted((root / part).glob("*.py"))
               if p.name != "__init__.py" and f"`{part}/{p.name}`" not in readme]
    assert not missing, f"services/{service}/README.md does not map {missing}"
