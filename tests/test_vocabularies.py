"""No code without a label: every choice the suite validates — event
contracts, the services' schemas, the gateway's request schemas — is labelled
by one vocabulary of doudi_contracts.vocabularies (issue 15)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from doudi_contracts.vocabularies import VOCABULARIES, covering
from marshmallow import Schema, fields, validate

#: envelope technics, not vocabulary a person reads
TECHNICAL = {("1.0",), ("application/json",)}
SCHEMA_MODULES = ["doudi_eligibility.schemas", "doudi_institutions.schemas",
                  "doudi_funding.schemas", "doudi_services_log.schemas", "doudi_gateway.auth"]


def _modules():
    for package in ("doudi_contracts", "doudi_gateway.schemas"):
        root = importlib.import_module(package)
        for info in pkgutil.iter_modules(root.__path__):
            yield importlib.import_module(f"{package}.{info.name}")
    for name in SCHEMA_MODULES:
        yield importlib.import_module(name)


def choice_sets() -> dict[tuple, str]:
    found: dict[tuple, str] = {}
    done: set[type] = set()

    def field_(f, where):
        for v in f.validators or []:
            if isinstance(v, validate.OneOf):
                found.setdefault(tuple(v.choices), where)
        if getattr(f, "choices", None) and not isinstance(f, fields.Nested):
            found.setdefault(tuple(f.choices), where)
        inner = getattr(f, "inner", None) or getattr(f, "item", None)
        if isinstance(inner, fields.Field) and inner is not f:
            field_(inner, where)
        if isinstance(f, fields.Nested) and isinstance(f.nested, type):
            schema(f.nested)

    def schema(cls):
        if cls in done:
            return
        done.add(cls)
        for name, f in cls().fields.items():
            field_(f, f"{cls.__module__}.{cls.__name__}.{name}")

    for module in _modules():
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Schema) and obj.__module__ == module.__name__:
                schema(obj)
    return {k: v for k, v in found.items() if k not in TECHNICAL}


def test_the_walk_finds_the_choices():
    sets = choice_sets()
    assert len(sets) > 40
    assert any("care_mode" in where for where in sets.values())


@pytest.mark.parametrize(("choices", "where"), sorted(choice_sets().items(), key=lambda x: x[1]))
def test_every_choice_has_a_label(choices, where):
    from doudi_gateway.permissions import ROLES  # the gateway's own vocabulary: roles

    labelled = covering(choices) is not None or set(choices) <= set(ROLES)
    assert labelled, f"{where}: {choices} — add them to a vocabulary"


def test_vocabularies_are_complete_and_unambiguous():
    for vocabulary in VOCABULARIES.values():
        assert vocabulary.title and vocabulary.terms, vocabulary.name
        assert len(set(vocabulary.codes)) == len(vocabulary.codes), vocabulary.name
        for term in vocabulary.terms:
            assert term.zh and term.en and term.zh != term.code, (vocabulary.name, term.code)
