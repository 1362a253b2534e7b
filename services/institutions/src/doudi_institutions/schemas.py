"""RPC payload shapes for institutions (the edge): JSON-ready replies — dates as
ISO strings, money as ``"120.00"`` strings, ID numbers and phones masked."""

from __future__ import annotations

from datetime import date

from doudi_common.ids import mask_id_number, mask_phone
from doudi_common.serialize import to_jsonable


def institution_view(inst: dict, extra: dict) -> dict:
    out = {k: inst[k] for k in ("uscc", "name", "legal_form", "kind", "operating_model",
                                "division_code", "county_code", "address", "operator",
                                "contact_name", "opened_on", "registered_on", "status", "grade",
                                "graded_on")}
    out["contact_phone"] = mask_phone(inst["contact_phone"]) if inst["contact_phone"] else None
    out["staff"] = {"nurses": inst["nurses"], "carers": inst["carers"],
                    "safety_officers": inst["safety_officers"],
                    "social_workers": inst["social_workers"], "others": inst["other_staff"],
                    "public_welfare_posts": inst["public_welfare_posts"]}
    out.update(extra)
    return to_jsonable(out)


def licence_view(row: dict, uscc: str, today: date, status: str | None = None) -> dict:
    until = row["valid_until"]
    if status is None:
        status = "expired" if until is not None and until < today else "valid"
    elif status == "signed":
        status = "expired" if until < today else "valid"
    return to_jsonable({"id": row["id"], "uscc": uscc, "kind": row["kind"],
                        "number": row["number"], "issuer": row["issuer"],
                        "valid_from": row["valid_from"], "valid_until": until,
                        "status": status})


def placement_view(row: dict, absences: list[dict]) -> dict:
    away = [{"kind": a["kind"], "hospital_uscc": a["hospital_uscc"], "from": a["started_on"],
             "until": a["ended_on"]} for a in absences]
    return to_jsonable({
        # the full number for the gateway, which masks it and seals a link (person_ref)
        "placement_id": f"PL-{row['id']}", "id_number": row["id_number"],
        "id_number_masked": mask_id_number(row["id_number"]),
        "division_code": row["division_code"], "uscc": row["uscc"],
        "institution_name": row["institution_name"], "bed_no": row["bed_no"],
        "room_type": row["room_type"], "care_mode": row["care_mode"],
        "care_level": row["care_level"], "status": row["status"],
        "admitted_on": row["admitted_on"], "discharged_on": row["discharged_on"],
        "discharge_reason": row["discharge_reason"], "monthly_price": row["monthly_price"],
        "enrolment_id": row["enrolment_id"], "health_record_ref": row["health_record_ref"],
        "rehab_plan_ref": row["rehab_plan_ref"],
        "transferred_from": f"PL-{row['transferred_from']}" if row["transferred_from"] else None,
        "absences": away,
        "away": row["status"] == "open" and any(a["until"] is None for a in away),
    })


def inspection_view(row: dict, found: list[dict], today: date) -> dict:
    return to_jsonable({
        "inspection_id": f"INS-{row['id']}", "uscc": row["uscc"], "kind": row["kind"],
        "inspected_on": row["inspected_on"], "inspector": row["inspector"],
        "result": row["result"], "notes": row["notes"],
        "findings": [{"finding_id": f["id"], "severity": f["severity"],
                      "description": f["description"], "rectify_by": f["rectify_by"],
                      "rectified_on": f["rectified_on"], "signed_off_by": f["signed_off_by"],
                      "overdue": f["rectified_on"] is None and f["rectify_by"] < today}
                     for f in found],
    })


def bed_view(row: dict) -> dict:
    status = ("occupied" if row["placement_pk"] else
              "out_of_service" if row["out_of_service"] else "available")
    return {"bed_no": row["bed_no"], "room_no": row["room_no"],
            "room_type": row["room_type"], "status": status,
            "placement_id": f"PL-{row['placement_pk']}" if row["placement_pk"] else None}


def admission_request_view(r: dict) -> dict:
    return {"id": r["id"], "enrolment_id": r["enrolment_id"],
            "id_number_masked": mask_id_number(r["id_number"]),
            "institution_uscc": r["institution_uscc"], "status": r["status"],
            "reason": r["reason"],
            "placement_id": f"PL-{r['placement_id']}" if r["placement_id"] else None,
            "received_at": r["received_at"].isoformat()}
