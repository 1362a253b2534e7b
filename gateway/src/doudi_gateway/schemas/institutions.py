"""Request and reply schemas of institutions: registry, licences, catalogue, beds,
placements, inspections, consolidation (the REST edge; the routes are in
``doudi_gateway.resources.institutions``)."""

from __future__ import annotations

from doudi_contracts.vocabularies import codes
from marshmallow import Schema, fields, validate

from doudi_gateway.schemas.fields import (
    Bool,
    CalendarDate,
    Code,
    Day,
    Division,
    ExportFormat,
    Int,
    ListOf,
    MapOf,
    Money,
    Obj,
    PageArgs,
    Reply,
    Str,
    Text,
    Uscc,
    Yuan,
    page_of,
)

LEGAL_FORMS = list(codes("legal_forms"))
KINDS = list(codes("institution_kinds"))
MODELS = list(codes("operating_models"))
STATUSES = list(codes("institution_statuses"))
CARE_LEVELS = list(codes("incapacity_levels"))
INSPECTION_KINDS = list(codes("inspection_kinds"))
DISCHARGE = list(codes("discharge_reasons"))


# -- replies ---------------------------------------------------------------------------


class StaffReply(Reply):
    nurses = Int(description="护理员（护士）人数")
    carers = Int(description="护工人数")
    safety_officers = Int(description="安全员人数")
    social_workers = Int(description="社工人数")
    others = Int(description="其他人员人数")
    public_welfare_posts = Int(description="乡镇配置的公益岗人数（puyang-2020 §四(三)）")


class CoHousingPostReply(Reply):
    """puyang-2020 §四(三): a co-housing site (居村联养点) with 5 or more households
    gets a public-welfare post arranged by the township."""

    households = Int(description="入住户数（有人入住的住房数）")
    min_households = Int(description="须配置公益岗的最少户数")
    required_posts = Int(description="应配置的公益岗数")
    posts = Int(description="已配置的公益岗数")
    met = Bool(description="是否已按要求配置")
    arranged_by = Str(description="负责协调配置的层级：township 乡镇政府")
    clause = Str(description="依据条款")
    wording = Str(description="文件原文")


class DesignationReply(Reply):
    agreement_no = Str(description="医保定点协议编号")
    valid_from = Day()
    valid_until = Day()
    status = Str(description="active 有效、terminated 已解除、expired 已到期、not_yet_valid 未生效")


class LicenceReply(Reply):
    id = Int()
    uscc = Str()
    kind = Code("licence_kinds", description="证照类型")
    number = Str()
    issuer = Str()
    valid_from = Day()
    valid_until = Day(null=True)
    status = Str(description="valid 有效、expired 已过期、terminated 已解除")


class StatusChangeReply(Reply):
    status = Code("institution_statuses")
    on = Day()
    reason = Str(null=True)


class GradeChangeReply(Reply):
    grade = Int(description="等级 1–5（GB/T 37276-2018）")
    assessed_on = Day()


class InstitutionSummaryReply(Reply):
    uscc = Str()
    name = Str()
    legal_form = Code("legal_forms", description="法人类型")
    kind = Code("institution_kinds", description="机构类型")
    operating_model = Code("operating_models", description="运营方式")
    division_code = Str()
    county_code = Str()
    address = Str(null=True)
    operator = Str(null=True)
    contact_name = Str(null=True)
    contact_phone = Str(null=True)
    opened_on = Day(null=True)
    registered_on = Day()
    status = Code("institution_statuses", description="机构状态")
    parent_uscc = Str(null=True, description="上级（举办）单位的统一社会信用代码；无则 null")
    grade = Int(null=True, description="等级 1–5（GB/T 37276-2018）；未评定为 null")
    graded_on = Day(null=True)
    staff = Obj(StaffReply, description="工作人员")
    co_housing_post = Obj(CoHousingPostReply, null=True,
                          description="居村联养点的公益岗配置要求；非联养点或无此要求为 null")
    capacity = Int(description="在用床位数")
    occupied = Int(description="在住人数")
    designation = Obj(DesignationReply, null=True, description="医保定点协议；无则 null")


class InstitutionReply(InstitutionSummaryReply):
    status_history = ListOf(StatusChangeReply, description="状态变化，按时间排列")
    grade_history = ListOf(GradeChangeReply, description="等级评定记录")
    licences = ListOf(LicenceReply, description="证照与医保定点协议")


InstitutionPageReply = page_of(InstitutionSummaryReply, "InstitutionPageReply", "机构")


class LicenceAlertReply(Reply):
    uscc = Str()
    name = Str()
    division_code = Str()
    kind = Code("licence_kinds")
    number = Str()
    valid_until = Day()
    days_left = Int(description="距到期天数（已过期为负数）")
    state = Str(description="expiring 即将到期（60 天内）、expired 已过期")
    alerted_until = Day(null=True, description="已就此到期日发出提醒的日期；未提醒为 null")


LicenceAlertPageReply = page_of(LicenceAlertReply, "LicenceAlertPageReply",
                                "60 天内到期或已过期的证照")


class PriceReply(Reply):
    price = Yuan()
    effective_from = Day()


class CatalogItemReply(Reply):
    code = Str(description="服务项目编码（机构自定）")
    category = Code("catalog_categories", description="收费项目类别")
    name = Str()
    unit = Code("catalog_units", description="计价单位")
    room_type = Str(null=True, description="床位费适用的房型；其他项目为 null")
    care_level = Code("incapacity_levels", null=True, description="护理费适用的照护等级")
    monthly = Bool(description="是否计入月价格")
    price = Yuan(null=True, description="指定日期的单价；尚未生效为 null")
    prices = ListOf(PriceReply, description="价格记录（标价化，luan-2021 §三(二)）")


class BedReply(Reply):
    bed_no = Str()
    room_no = Str()
    room_type = Str()
    status = Code("bed_statuses", description="床位状态")
    placement_id = Str(null=True, description="在住的入住编号；空床为 null")


BedPageReply = page_of(BedReply, "BedPageReply", "床位")


class RoomBedReply(Reply):
    bed_no = Str()
    status = Code("bed_statuses")


class RoomReply(Reply):
    uscc = Str()
    room_no = Str()
    room_type = Str()
    beds = ListOf(RoomBedReply, description="房间的床位")


class StaffingReply(Reply):
    uscc = Str()
    staff = Obj(StaffReply)
    residents = Int(description="在住人数")
    co_housing_post = Obj(CoHousingPostReply, null=True,
                          description="居村联养点的公益岗配置要求；非联养点为 null")
    carers_per_resident = Str(null=True,
                              description="每名在住人员的护工数（小数）；无人在住为 null")


class MonthlyPriceItemReply(Reply):
    code = Str(description="服务项目编码")
    price = Yuan()


class MonthlyPriceReply(Reply):
    uscc = Str()
    on = Day(description="价格日期")
    monthly_price = Yuan(description="月价格合计（元）")
    items = ListOf(MonthlyPriceItemReply, description="构成月价格的项目")


class ConsolidationSiteReply(Reply):
    uscc = Str()
    name = Str()
    grade = Int(null=True, description="等级；未评定为 null")
    capacity = Int(description="床位数")
    occupied = Int(description="在住人数")
    occupancy = Str(description="入住率（0–1，四位小数）")
    staff_total = Int(description="工作人员总数")
    keep = Bool(description="方案中是否保留")


class ConsolidationResidentReply(Reply):
    placement_id = Str()
    id_number_masked = Str()
    consent = Bool(null=True, description="本人对迁往并入机构的意愿：同意 / 不同意 / 未表态 (null)")


class ConsolidationMergeReply(Reply):
    source_uscc = Str()
    target_uscc = Str()
    residents = ListOf(ConsolidationResidentReply, description="须迁移的在住人员")


class ConsolidationAfterReply(Reply):
    institutions = Int(description="整合后的机构数")
    all_grade_3_or_above = Bool(description="保留的机构是否全部达到三级以上")


class ConsolidationPlanReply(Reply):
    county_code = Str()
    flagged = Bool(description="是否需要整合（超过 3 家或有低于三级的机构）")
    feasible = Bool(description="方案是否可行（有三级机构且床位够用）")
    reasons = ListOf(Str(), description="需要整合的原因（含条款）")
    institutions = ListOf(ConsolidationSiteReply, description="县内特困供养机构")
    merges = ListOf(ConsolidationMergeReply, description="撤并方案")
    unplaced = ListOf(ConsolidationResidentReply, description="无处安置的在住人员")
    after = Obj(ConsolidationAfterReply, description="整合后的情况")


class MergeStayingReply(Reply):
    placement_id = Str()
    id_number_masked = Str()
    reason = Str(description="no_consent 本人未同意、no_free_bed 无空床，或其他冲突原因")


class MergeReply(Reply):
    source_uscc = Str()
    target_uscc = Str()
    moved = ListOf(Str(), description="已迁入的入住编号")
    staying = ListOf(MergeStayingReply, description="留在原机构的人员")
    source_status = Code("institution_statuses", description="被撤并机构的状态")


class InspectionFiguresReply(Reply):
    done_this_year = Int(description="本年已开展的检查次数")
    patrols_overdue = Int(description="逾期未开展的例行检查"
                                      "（机构×检查类别，hangzhou-2024 §五(四)）")
    open_findings = Int(description="尚未整改销号的问题")
    findings_overdue = Int(description="已过整改期限仍未整改的问题")
    rectified_findings = Int(description="已整改销号的问题")


class CountyStatisticsArgs(Schema):
    format = ExportFormat()


class CountyStatisticsReply(Reply):
    county_code = Str()
    inspections = Obj(InspectionFiguresReply, description="检查与整改")
    institutions = Int(description="机构数（未关闭）")
    tekun_institutions = Int(description="特困供养机构数")
    beds = Int(description="床位数")
    occupied = Int(description="在住人数")
    occupancy = Str(null=True, description="入住率（0–1，四位小数）；无床位为 null")
    below_grade_3 = Int(description="低于三级的特困供养机构数")
    by_grade = MapOf(fields.Integer(), description="机构数按等级（1–5；none 为未评定）")
    staff = Obj(StaffReply, description="工作人员合计")
    tekun_needing_care = Int(description="需要照护的特困人员数")
    tekun_in_institutions = Int(description="在机构集中供养的特困人员数")
    centralised_support_rate = Str(null=True, description="集中供养率（0–1，四位小数）；"
                                                           "无需要照护的特困人员为 null")


class RegisterInstitutionSchema(Schema):
    uscc = Uscc(required=True)
    name = Text(128, required=True)
    legal_form = fields.String(required=True, validate=validate.OneOf(LEGAL_FORMS))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    operating_model = fields.String(required=True, validate=validate.OneOf(MODELS))
    division_code = Division(required=True)
    opened_on = CalendarDate()
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
    opened_on = CalendarDate()


class StatusSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    on = CalendarDate(required=True)
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
    valid_from = CalendarDate(required=True)
    valid_until = CalendarDate()


class CatalogItemSchema(Schema):
    code = Text(32, required=True)
    category = fields.String(required=True, validate=validate.OneOf(
        ["bed", "nursing", "meals", "rehabilitation", "supplies", "overhead", "extra"]))
    name = Text(64, required=True)
    unit = fields.String(required=True, validate=validate.OneOf(["month", "day", "each"]))
    price = Money(required=True)
    effective_from = CalendarDate(required=True)
    room_type = Text(32)
    care_level = fields.String(validate=validate.OneOf(CARE_LEVELS))
    monthly = fields.Boolean(load_default=True)


class OnArgs(Schema):
    on = CalendarDate()


class BedArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(["available", "occupied", "out_of_service"]))


class RoomSchema(Schema):
    room_no = Text(16, required=True)
    room_type = Text(32, required=True)
    beds = fields.List(Text(16), required=True, validate=validate.Length(min=1, max=50))


class DivisionPageArgs(PageArgs):
    division_code = Division()


class GradeSchema(Schema):
    grade = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    assessed_on = CalendarDate(required=True)


class StaffSchema(Schema):
    nurses = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10000))
    carers = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10000))
    safety_officers = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10000))
    social_workers = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10000))
    others = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10000))
    public_welfare_posts = fields.Integer(load_default=0,
                                          validate=validate.Range(min=0, max=10000),
                                          metadata={"description": "公益岗人数"})


class PriceSchema(Schema):
    price = Money(required=True)
    effective_from = CalendarDate(required=True)
    reason = Text(500)


class BedStatusSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["available", "out_of_service"]))


class MergeSchema(Schema):
    target_uscc = Uscc(required=True)
    on = CalendarDate(required=True)


class MonthlyPriceArgs(Schema):
    room_type = Text(32)
    care_level = fields.String(validate=validate.OneOf(CARE_LEVELS))
    on = CalendarDate()


