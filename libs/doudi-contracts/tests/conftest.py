from __future__ import annotations

import copy
import json

import pytest
from doudi_contracts.registry import example_envelope


@pytest.fixture
def envelope():
    """A fresh, JSON-round-tripped valid envelope: ``envelope(source, type)``."""

    def make(source: str = "cdpf", event_type: str = "certificate.issued") -> dict:
        return copy.deepcopy(json.loads(json.dumps(example_envelope(source, event_type))))

    return make
