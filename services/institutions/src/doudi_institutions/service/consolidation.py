"""Regional consolidation (hangzhou-2024): the county's plan, merges with the
residents' consent, county statistics."""


from __future__ import annotations

from doudi_common.entrypoints import rpc
from doudi_common.errors import Conflict
from doudi_common.ids import (
    mask_id_number,
    validate_division_code,
)
from doudi_common.logs import get_logger

from doudi_institutions.domain import consolidation, vocab
from doudi_institutions.domain import inputs as inputs_rules
from doudi_institutions.domain import references as references_rules
from doudi_institutions.domain import registry as registry_rules
from doudi_institutions.store import admissions as admissions_store
from doudi_institutions.store import inspections as inspections_store
from doudi_institutions.store import placements as placements_store
from doudi_institutions.store import registry as registry_store

log = get_logger(__name__)


class Consolidation:
    def _county_sites(self, county: str):
        sites = []
        for inst in registry_store.county_homes(self.session, county,
                                                vocab.OPEN_STATES + ("preparing",)):
            counts = registry_store.bed_counts(self.session, inst["id"])
            sites.append((inst, consolidation.site_of(inst, counts["capacity"],
                                                      counts["occupied"])))
        return sites

    @rpc
    def consolidation_plan(self, county_code) -> dict:
        county = validate_division_code(county_code, (6,))
        sites = self._county_sites(county)
        by_id = {inst["id"]: inst for inst, _ in sites}
        residents = [(row["id_number"], consolidation.Resident(
            references_rules.placement_no(row["id"]), by_id[row["institution_id"]]["uscc"]))
            for row in placements_store.open_placements_in(self.session, by_id)]
        result = consolidation.plan(county, [s for _, s in sites], [r for _, r in residents])
        who = {r.placement_id: idn for idn, r in residents}
        uscc_id = {inst["uscc"]: inst["id"] for inst, _ in sites}
        keep = set(result.keep)

        def resident_view(r, target):
            idn = who[r.placement_id]
            return {"placement_id": r.placement_id, "id_number_masked": mask_id_number(idn),
                    "consent": placements_store.latest_consent(self.session, idn, uscc_id[target])
                    if target else None}

        return {
            "county_code": county, "flagged": result.flagged, "reasons": result.reasons,
            "feasible": result.feasible,
            "institutions": [{"uscc": s.uscc, "name": s.name, "grade": s.grade,
                              "capacity": s.capacity, "occupied": s.occupied,
                              "occupancy": str(consolidation.occupancy(s)), "staff_total": s.staff,
                              "keep": s.uscc in keep} for _, s in sites],
            "merges": [{"source_uscc": m.source_uscc, "target_uscc": m.target_uscc,
                        "residents": [resident_view(r, m.target_uscc) for r in m.residents]}
                       for m in result.merges],
            "unplaced": [resident_view(r, None) for r in result.unplaced],
            "after": {"institutions": len(result.keep) if result.flagged else len(sites),
                      "all_grade_3_or_above": all(
                          (s.grade or 0) >= consolidation.MIN_GRADE for _, s in sites
                          if s.uscc in keep)},
        }

    @rpc
    def execute_merge(self, source_uscc, target_uscc, on) -> dict:
        source = self._institution(source_uscc, lock=True)
        target = self._institution(target_uscc, lock=True)
        day = inputs_rules.as_date(on, "on")
        registry_rules.check_merge(source, target)
        if source["status"] != "merging":
            registry_store.record_status(self.session, source["id"], "merging", day,
                                f"区域化集中：并入 {target['uscc']}（hangzhou-2024 §三(二)）")
        moved, staying = [], []
        for placement in placements_store.open_placements_in(self.session, [source["id"]]):
            masked = mask_id_number(placement["id_number"])
            if placements_store.latest_consent(self.session, placement["id_number"],
                                               target["id"]) is not True:
                staying.append({"placement_id": references_rules.placement_no(placement["id"]),
                                "id_number_masked": masked, "reason": "no_consent"})
                continue
            savepoint = self.session.begin_nested()
            try:
                self._transfer(placement, target, day)
            except Conflict as exc:
                savepoint.rollback()
                staying.append({"placement_id": references_rules.placement_no(placement["id"]),
                                "id_number_masked": masked,
                                "reason": exc.fields.get("reason", "conflict")})
                continue
            savepoint.commit()
            moved.append(references_rules.placement_no(placement["id"]))
        registry_store.insert_merge(self.session, source["id"], target["id"], day, len(moved),
                                    len(staying))
        status = "merging"
        if not staying:
            self.db.outbox.add("institution.merged", {
                "institution_uscc": source["uscc"], "into_uscc": target["uscc"],
                "merged_on": day, "residents_moved": len(moved)},
                division_code=source["division_code"], key=source["uscc"])
            reason = f"并入 {target['uscc']}，原址转型（hangzhou-2024 §三(六)）"
            registry_store.record_status(self.session, source["id"], "closed", day, reason)
            self.db.outbox.add("institution.closed", {
                "institution_uscc": source["uscc"], "closed_on": day, "reason": reason},
                division_code=source["division_code"], key=source["uscc"])
            status = "closed"
        return {"source_uscc": source["uscc"], "target_uscc": target["uscc"], "moved": moved,
                "staying": staying, "source_status": status}

    @rpc
    def county_statistics(self, county_code) -> dict:
        county = validate_division_code(county_code, (6,))
        insts = registry_store.county_institutions(self.session, county)
        counted = [(inst, registry_store.bed_counts(self.session, inst["id"])) for inst in insts]
        need, placed = admissions_store.count_tekun_needing_care(self.session, county)
        stats = consolidation.county_statistics(county, counted, need, placed)
        overdue = self._overdue(county)  # the inspections area's own reckoning
        year_start = self.clock.today().replace(month=1, day=1)
        return {**stats, "inspections": {
            **inspections_store.county_counts(self.session, county, year_start),
            "patrols_overdue": sum(1 for o in overdue if o["what"] == "patrol"),
            "findings_overdue": sum(1 for o in overdue if o["what"] == "finding")}}
