"""Fixtures for the static deployment checks (facts live in ``facts.py``)."""

from __future__ import annotations

import pytest
import yaml

from .facts import OVERLAYS, REPO, render


@pytest.fixture(params=OVERLAYS)
def overlay(request) -> str:
    return request.param


@pytest.fixture
def objects(overlay) -> list[dict]:
    return render(overlay)


@pytest.fixture(scope="session")
def compose() -> dict:
    with open(REPO / "docker-compose.yml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)
