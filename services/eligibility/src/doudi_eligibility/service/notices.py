"""The public notice (公示) of approved applications in a township."""

from __future__ import annotations

from doudi_common.entrypoints import rpc
from doudi_common.ids import mask_id_number
from doudi_common.paging import page_args, page_of

from doudi_eligibility.domain.application import check_notice_period
from doudi_eligibility.store import applications as application_store


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def notice_row(r: dict) -> dict:
    return {"application_id": r["application_id"], "name": r["name"],
            "id_number_masked": mask_id_number(r["id_number"]),
            "division_code": r["division_code"], "care_mode": r["care_mode"],
            "policy_pack": r["policy_pack"], "approved_on": _iso(r["approved_on"]),
            "notice_from": _iso(r["notice_from"]), "notice_until": _iso(r["notice_until"]),
            "state": r["state"]}


class Notices:
    @rpc
    def public_notice_list(self, township_code, date_from, date_to, page=1, per_page=50) -> dict:
        page, per_page = page_args(page, per_page)
        code, start, end = check_notice_period(township_code, date_from, date_to)
        rows, total = application_store.notice_page(self.db.session, code, start, end, page,
                                                    per_page)
        return page_of([notice_row(r) for r in rows], page, per_page, total)
