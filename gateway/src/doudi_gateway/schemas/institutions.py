"""Request and reply schemas of institutions: registry, licences, catalogue, beds,
placements, inspections, consolidation (the REST edge; the routes are in
``doudi_gateway.resources.institutions``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from doudi_gateway.schemas.fields import Division, IdNumber, Loose, Money, PageArgs, Text, Uscc

LEGAL_FORMS = ["public_institution", "private_non_enterprise", "enterprise"]


KINDS = ["tekun_home", "care_home", "health_centre_beds", "day_care_centre", "co_housing_site",
         "community_centre", "home_service_provider"]


MODELS = ["public", "public_built_private_run", "private_run_public_aided",
          "social_entrustment", "private"]


STATUSES = ["preparing", "open", "suspended", "merging", "closed"]


CARE_LEVELS = ["none", "partial", "full"]


INSPECTION_KINDS = ["fire_safety", "food_safety", "fund_policy", "infection_control", "service"]


DISCHARGE = ["deceased", "voluntary", "no_longer_eligible", "care_mode_changed", "handed_over",
             "hospital_long_stay", "transferred", "other"]


class InstitutionSchema(Loose):
    uscc = fields.String()
    name = fields.String()
    division_code = fields.String()
    status = fields.String()


class RegisterInstitutionSchema(Schema):
    uscc = Uscc(required=True)
    name = Text(128, required=True)
    legal_form = fields.String(required=True, validate=validate.OneOf(LEGAL_FORMS))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    operating_model = fields.String(required=True, validate=validate.OneOf(MODELS))
    division_code = Division(required=True)
    opened_on = fields.Date()
    address = Text(256)
    operator = Text(128)
    contact_name = Text(64)
    contact_phone = fields.String(validate=validate.Regexp(r"^[0-9+\-]{7,20}$"))
    status = fields.String(validate=validate.OneOf(["preparing", "open"]))
    parent_uscc = Uscc()


class UpdateInstitutionSchema(Schema):
    name = Text(128)
    legal_form = fields.String(validate=validate.OneOf(LEGAL_FORMS))
    kind = fields.String(validate=validate.OneOf(KINDS))
    operating_model = fields.String(validate=validate.OneOf(MODELS))
    address = Text(256)
    operator = Text(128)
    contact_name = Text(64)
    contact_phone = fields.String(validate=validate.Regexp(r"^[0-9+\-]{7,20}$"))
    opened_on = fields.Date()


class StatusSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    on = fields.Date(required=True)
    reason = Text(500, required=True)


class InstitutionListArgs(PageArgs):
    division_code = Division()
    kind = fields.String(validate=validate.OneOf(KINDS))
    status = fields.String(validate=validate.OneOf(STATUSES))


class LicenceSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(
        ["registration", "fire_safety", "food_business", "medical_room"]))
    number = Text(64, required=True)
    issuer = Text(128, required=True)
    valid_from = fields.Date(required=True)
    valid_until = fields.Date()


class CatalogItemSchema(Schema):
    code = Text(32, required=True)
    category = fields.String(required=True, validate=validate.OneOf(
        ["bed", "nursing", "meals", "rehabilitation", "supplies", "overhead", "extra"]))
    name = Text(64, required=True)
    unit = fields.String(required=True, validate=validate.OneOf(["month", "day", "each"]))
    price = Money(required=True)
    effective_from = fields.Date(required=True)
    room_type = Text(32)
    care_level = fields.String(validate=validate.OneOf(CARE_LEVELS))
    monthly = fields.Boolean(load_default=True)


class OnArgs(Schema):
    on = fields.Date()


class BedArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(["available", "occupied", "out_of_service"]))


class AdmitSchema(Schema):
    id_number = IdNumber(required=True)
    admitted_on = fields.Date(required=True)
    care_level = fields.String(required=True, validate=validate.OneOf(CARE_LEVELS))
    bed_no = Text(16)
    enrolment_id = Text(64)


class PlacementListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(["open", "closed"]))


class DischargeSchema(Schema):
    discharged_on = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(DISCHARGE))
    note = Text(1000)


class TransferSchema(Schema):
    to_uscc = Uscc(required=True)
    transferred_on = fields.Date(required=True)
    bed_no = Text(16)


class FindingSchema(Schema):
    severity = fields.String(required=True, validate=validate.OneOf(["minor", "major", "critical"]))
    description = Text(1000, required=True)
    rectify_by = fields.Date(required=True)


class InspectionSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(INSPECTION_KINDS))
    inspected_on = fields.Date(required=True)
    result = fields.String(required=True, validate=validate.OneOf(
        ["passed", "rectification_required", "failed"]))
    inspector = Text(64)
    notes = Text(2000)
    findings = fields.List(fields.Nested(FindingSchema), load_default=list)


class InspectionListArgs(PageArgs):
    kind = fields.String(validate=validate.OneOf(INSPECTION_KINDS))


class RoomSchema(Schema):
    room_no = Text(16, required=True)
    room_type = Text(32, required=True)
    beds = fields.List(Text(16), required=True, validate=validate.Length(min=1, max=50))


class ConsentRecordSchema(Schema):
    id_number = IdNumber(required=True)
    given = fields.Boolean(required=True)
    recorded_on = fields.Date(required=True)
    note = Text(1000)


class DivisionPageArgs(PageArgs):
    division_code = Division()


class AdmissionArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(["admitted", "refused", "pending"]))


class GradeSchema(Schema):
    grade = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    assessed_on = fields.Date(required=True)


class StaffSchema(Schema):
    nurses = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10000))
    carers = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10000))
    safety_officers = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10000))
    social_workers = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10000))
    others = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10000))


class PriceSchema(Schema):
    price = Money(required=True)
    effective_from = fields.Date(required=True)
    reason = Text(500)


class BedStatusSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["available", "out_of_service"]))


class RectifySchema(Schema):
    rectified_on = fields.Date(required=True)


class MergeSchema(Schema):
    target_uscc = Uscc(required=True)
    on = fields.Date(required=True)


class UpdatePlacementSchema(Schema):
    health_record_ref = Text(64, metadata={"description": "个人健康档案编号"})
    rehab_plan_ref = Text(64, metadata={"description": "一人一策康复计划编号"})


class CareLevelSchema(Schema):
    care_level = fields.String(required=True, validate=validate.OneOf(CARE_LEVELS))
    on = fields.Date(required=True)


class MonthQueryArgs(Schema):
    month = fields.String(required=True, validate=validate.Regexp(
        r"^\d{4}-(0[1-9]|1[0-2])$", error="月份格式应为 YYYY-MM"))


class MonthlyPriceArgs(Schema):
    room_type = Text(32)
    care_level = fields.String(validate=validate.OneOf(CARE_LEVELS))
    on = fields.Date()


class UpdateInspectionSchema(Schema):
    inspector = Text(64)
    notes = Text(2000)
