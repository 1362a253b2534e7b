"""Public notice (公示): the applications approved in a period (for a pack whose
document sets a notice period), and the standing list of current recipients
per village (长期公示, for a pack whose document requires one)."""

from __future__ import annotations

from doudi_common.entrypoints import rpc
from doudi_common.ids import mask_id_number
from doudi_common.paging import page_args, page_of

from doudi_eligibility.domain.application import check_division_code, check_notice_period
from doudi_eligibility.store import applications as application_store
from doudi_eligibility.store import enrolments as enrolment_store


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def notice_row(r: dict) -> dict:
    return {"application_id": r["application_id"], "name": r["name"],
            "id_number_masked": mask_id_number(r["id_number"]),
            "division_code": r["division_code"], "care_mode": r["care_mode"],
            "policy_pack": r["policy_pack"], "approved_on": _iso(r["approved_on"]),
            "notice_from": _iso(r["notice_from"]), "notice_until": _iso(r["notice_until"]),
            "state": r["state"]}


def standing_row(r: dict, clause: str) -> dict:
    return {"enrolment_id": r["enrolment_id"], "name": r["name"],
            "id_number_masked": mask_id_number(r["id_number"]),
            "division_code": r["division_code"], "care_mode": r["care_mode"],
            "policy_pack": r["policy_pack"], "since": _iso(r["started_on"]),
            "clause": clause}


class Notices:
    @rpc
    def public_notice_list(self, township_code, date_from, date_to, page=1, per_page=50) -> dict:
        page, per_page = page_args(page, per_page)
        code, start, end = check_notice_period(township_code, date_from, date_to)
        rows, total = application_store.notice_page(self.db.session, code, start, end, page,
                                                    per_page)
        return page_of([notice_row(r) for r in rows], page, per_page, total)

    @rpc
    def standing_notice_list(self, division_code, page=1, per_page=50) -> dict:
        """Who receives services now in a village (or a township, county): the
        standing list a village committee posts where a document requires one
        (qingyunpu-2021 §五6 长期公示)."""
        page, per_page = page_args(page, per_page)
        code = check_division_code(division_code)
        clauses = {p.id: p.standing_notice_clause for p in self.registry.packs
                   if p.standing_notice_clause}
        rows, total = enrolment_store.standing_page(self.db.session, code, tuple(clauses), page,
                                                    per_page)
        return page_of([standing_row(r, clauses[r["policy_pack"]]) for r in rows], page,
                       per_page, total)
