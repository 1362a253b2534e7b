"""The jurisdictions' policy packs: one versioned file per document
(``packs/<id>.yaml``), data with effective dates and clause citations, holding
every part of the jurisdiction's policy that the suite applies:

* the header — id, version, title, document, jurisdiction (the issuing
  government's division code), effective_from / effective_until;
* ``eligibility`` — target groups, care modes and their rules, the review
  chain, documents, notice, review interval, hand-over (read by eligibility);
* ``funding`` — channels and parameters of the monthly settlement (funding);
* ``services`` — the service item catalogue and the time bank (services-log);
* ``institutions`` — admission and duty rules of care institutions
  (institutions);
* ``parameters`` — figures a document leaves to the county and that more than
  one service reads (e.g. luan-2021 §三(四)'s co-payment bands), each dated
  and with who sets it (doudi_contracts.local_parameters reads them).

Each service reads its own part through its ``policy`` module; the gateway's
``GET /api/v1/policy-packs/{id}`` shows all of it. The files are read once per
process and checked here for their shape; each part's meaning is checked by
the service that reads it."""

from __future__ import annotations

import copy
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

PACK_IDS = ("luan-2021", "hangzhou-2024", "lanzhou-2021", "puyang-2020", "qingyunpu-2021")
HEADER = ("id", "version", "title", "document", "jurisdiction", "effective_from",
          "effective_until")
PARTS = ("eligibility", "funding", "services", "institutions", "parameters")


class PackError(ValueError):
    """A pack file whose shape is wrong (the process refuses to start)."""


def check(doc: Any, source: str = "") -> dict[str, Any]:
    """The pack's data when its shape is right, else ``PackError`` naming the
    problem: header fields present, only known parts, dates as dates."""
    where = source or (doc.get("id") if isinstance(doc, dict) else "") or "?"
    if not isinstance(doc, dict):
        raise PackError(f"{where}: a pack is a mapping")
    missing = [k for k in HEADER if k not in doc]
    if missing:
        raise PackError(f"{where}: header fields missing: {', '.join(missing)}")
    unknown = sorted(set(doc) - set(HEADER) - set(PARTS))
    if unknown:
        raise PackError(f"{where}: unknown parts: {', '.join(unknown)}")
    if not isinstance(doc["effective_from"], date):
        raise PackError(f"{where}: effective_from is not a date")
    if doc["effective_until"] is not None and not isinstance(doc["effective_until"], date):
        raise PackError(f"{where}: effective_until is not a date")
    if not str(doc["jurisdiction"]).isdigit() or len(str(doc["jurisdiction"])) != 6:
        raise PackError(f"{where}: jurisdiction is a 6-digit division code")
    for part in PARTS:
        if not isinstance(doc.get(part) or {}, dict):
            raise PackError(f"{where}: part {part} is a mapping")
    return doc


def read(text: str, source: str = "") -> dict[str, Any]:
    """A pack from its YAML text (checked)."""
    return check(yaml.safe_load(text), source)


@cache
def _shipped(pack_id: str) -> dict[str, Any]:
    if pack_id not in PACK_IDS:
        raise KeyError(pack_id)
    name = f"{pack_id}.yaml"
    doc = read(resources.files(__name__).joinpath("packs", name).read_text("utf-8"), name)
    if doc["id"] != pack_id:
        raise PackError(f"{name}: id {doc['id']} is not the file's name")
    return doc


def load(pack_id: str) -> dict[str, Any]:
    """The whole pack (a copy: callers may keep or change it)."""
    return copy.deepcopy(_shipped(pack_id))


def part(pack_id: str, name: str, doc: dict[str, Any] | None = None) -> dict[str, Any]:
    """One part of a pack ({} where the document says nothing of it)."""
    if name not in PARTS:
        raise KeyError(name)
    source = doc if doc is not None else _shipped(pack_id)
    return copy.deepcopy(source.get(name) or {})


def parameter(pack_id: str, name: str) -> dict[str, Any] | None:
    """A local parameter's whole entry (clause, wording, set_by, versions) or None."""
    return part(pack_id, "parameters").get(name) if pack_id in PACK_IDS else None


def path_of(pack_id: str) -> Path:
    """Where the shipped file is (for the docs and the tests)."""
    return Path(str(resources.files(__name__).joinpath("packs", f"{pack_id}.yaml")))
