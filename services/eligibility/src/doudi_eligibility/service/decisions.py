"""Decisions: a person's eligibility as of any date (with explanation), the
policy packs, and re-deciding everyone after a pack change."""

from __future__ import annotations

from doudi_common.args import parse_date, parse_moment
from doudi_common.entrypoints import read_over_http, rpc
from doudi_common.ids import division_prefix as jurisdiction_prefix
from doudi_common.ids import validate_id_number

from doudi_eligibility.store.decisions import evaluation, redecide_persons


class Decisions:
    @rpc
    @read_over_http
    def evaluate(self, id_number: str, on=None, known_at=None) -> dict:
        id_number = validate_id_number(id_number)
        on = parse_date(on, "on", self.clock.today())
        known = parse_moment(known_at, "known_at")
        with self.db.reading() as conn:
            out = dict(evaluation(conn, self.registry, id_number, on, known))
        out["known_at"] = known.isoformat() if known else None
        return out

    @rpc
    def list_packs(self) -> list:
        return [p.summary() for p in sorted(self.registry.packs, key=lambda p: (p.id, p.version))]

    @rpc
    def get_pack(self, pack_id: str, version=None) -> dict:
        return self.registry.get(pack_id, version).summary()

    @rpc
    def redecide_all(self, division_prefix: str | None = None) -> dict:
        prefix = jurisdiction_prefix(division_prefix) if division_prefix else None
        return redecide_persons(self.db, self.registry, self.clock.today(),
                                division_prefix=prefix)
