"""Request and reply schemas of persons and their facts (the REST edge; the routes are in
``doudi_gateway.resources.persons``)."""

from __future__ import annotations

import threading
import time

from doudi_contracts.vocabularies import codes
from marshmallow import Schema, fields, validate

from doudi_gateway.schemas.fields import (
    Bool,
    CalendarDate,
    CalendarMoment,
    Code,
    CodeArg,
    Day,
    Division,
    IdNumber,
    Instant,
    Int,
    ListOf,
    Money,
    Obj,
    PageArgs,
    PersonRef,
    Reply,
    Str,
    SubjectReply,
    Text,
    Yuan,
    page_of,
)

HARDSHIP = list(codes("hardship"))


# -- replies ---------------------------------------------------------------------------


class MemberReply(Reply):
    name = Str()
    relationship = Code("relations")
    id_number = Str(optional=True)


class FactPayloadReply(Reply):
    """What a fact says; which fields it has depends on its ``kind``."""

    status = Code("hardship", optional=True, description="困难身份（hardship、hardship_ended）")
    note = Str(optional=True)
    reason = Str(optional=True, description="原因（hardship_ended、证件注销）")
    # household
    members = ListOf(MemberReply, optional=True)
    income_per_head = Yuan(optional=True)
    income_group = Code("income_groups", optional=True, null=True)
    assets = fields.Dict(keys=fields.String(), values=fields.Boolean(), required=False,
                         metadata={"description": "家庭财产核查结果（项目 → 是否有）"})
    lives_alone = Bool(optional=True)
    no_spouse_or_children = Bool(optional=True)
    no_supporter = Bool(optional=True)
    no_close_relatives = Bool(optional=True)
    depends_on_relatives = Bool(optional=True)
    guardian_unable = Bool(optional=True)
    no_work_ability = Bool(optional=True)
    no_stable_income = Bool(optional=True)
    serious_illness = Bool(optional=True)
    needs_long_term_care = Bool(optional=True)
    no_carer = Bool(optional=True)
    sudden_no_carer = Bool(optional=True)
    health_stable = Bool(optional=True)
    # incapacity_assessment
    assessment_id = Str(optional=True)
    standard = Code("assessment_standards", optional=True, description="评估标准")
    level = Int(optional=True, description="评估标准自身的等级")
    incapacity_level = Code("incapacity_levels", optional=True)
    assessor_uscc = Str(optional=True)
    # disability_certificate(_revoked)
    certificate_no = Str(optional=True)
    category = Code("disability_categories", optional=True, description="残疾类别")
    grade = Int(optional=True, description="残疾等级 1–4（1 最重）")
    name_reported = Str(optional=True, description="部门报送的姓名（与登记姓名不同时）")
    # infection_*, hospital_*
    disease_code = Str(optional=True, description="疾病代码 (ICD-10)")
    hospital_uscc = Str(optional=True)
    # handed_over
    to_status = Code("hardship", optional=True, description="移交后的困难身份")
    ended_care_modes = ListOf(Code("care_modes"), optional=True,
                              description="移交时终止的照护方式")
    # residence
    division_code = Str(optional=True, description="新的行政区划代码（residence）")
    registration = Code("registrations", optional=True, null=True)
    previous_division_code = Str(optional=True, description="原行政区划代码（residence）")


class FactReply(Reply):
    kind = Code("fact_kinds", description="事实类型")
    source = Str(description="来源：部门（cdpf、health、civil_affairs）或登记的经办人")
    source_event_id = Str(null=True)
    valid_from = Day(null=True)
    valid_until = Day(null=True)
    recorded_at = Instant()
    payload = Obj(FactPayloadReply, description="事实内容（字段随类型而定）")


class LastDecisionReply(Reply):
    eligible = Bool(description="是否符合条件")
    care_modes = ListOf(Code("care_modes"), description="可享受的照护方式")
    target_groups = ListOf(Str(), description="符合的对象类别（规则编号）")
    priority = Int(null=True, description="优先级（1 最高；政策无优先级为 null）")
    policy_pack = Code("policy_packs")
    pack_version = Str()
    decided_on = Day(description="判定所依据的日期")
    decided_at = Instant()
    digest = Str()
    trigger = Str(description="触发判定的事件（如 person.updated、assessment.completed）")


class PersonReply(Reply):
    id_number = Str(description="身份证号码：有 persons:read_full 权限的角色为完整号码"
                                "（每次读取记入审计），其他角色为脱敏值")
    id_number_masked = Str()
    person_ref = PersonRef()
    name = Str()
    division_code = Str()
    registration = Code("registrations", null=True)
    birth_date = Day(null=True)
    sex = Code("sexes", null=True)
    deceased_on = Day(null=True)
    created_at = Instant()
    updated_at = Instant()
    facts = ListOf(FactReply)
    decision = Obj(LastDecisionReply, null=True, description="最近一次资格判定；未判定为 null")


class PersonListItemReply(SubjectReply, Reply):
    registration = Code("registrations", null=True)
    deceased_on = Day(null=True)
    eligible = Bool(null=True, description="最近一次判定是否符合条件；未判定为 null")
    care_modes = ListOf(Code("care_modes"), description="最近一次判定可享受的照护方式")
    policy_pack = Code("policy_packs", null=True)
    priority = Int(null=True, description="优先级（1 最高）")


PersonPageReply = page_of(PersonListItemReply, "PersonPageReply", "辖区内的人员（身份证号脱敏）")


class ExplainedFactReply(Reply):
    kind = Code("fact_kinds", description="事实类型")
    source = Str(description="来源部门或经办人")
    source_event_id = Str(null=True)
    summary = Str(description="事实的中文摘要")
    valid_from = Day(null=True)
    valid_until = Day(null=True)


class RuleResultReply(Reply):
    id = Str(description="规则编号")
    label = Str(description="规则的中文名称")
    clause = Str()
    wording = Str(optional=True, description="条款原文")
    condition = Str(description="规则条件（中文）")
    detail = Str(description="判定时用到的事实取值（中文）")
    passed = Bool(description="是否满足")
    scope = Str(description="规则范围：general 一般条件、target_group 对象类别、"
                            "mode:<照护方式> 该方式的条件、priority 优先级")


class ExplanationReply(Reply):
    summary = Str(description="判定结论（中文）")
    facts = ListOf(ExplainedFactReply, description="判定用到的事实")
    rules = ListOf(RuleResultReply, description="逐条规则的判定结果")


class TargetGroupReply(Reply):
    id = Str(description="对象类别编号")
    label = Str(description="对象类别（中文）")
    clause = Str()


class EligibilityReply(Reply):
    id_number_masked = Str()
    on = Day(description="判定日期")
    known_at = Instant(null=True)
    eligible = Bool(description="是否符合条件（至少一种照护方式）")
    care_modes = ListOf(Code("care_modes"), description="可享受的照护方式")
    target_groups = ListOf(TargetGroupReply, description="符合的对象类别")
    priority = Int(null=True, description="优先级（1 最高；政策无优先级为 null）")
    policy_pack = Code("policy_packs")
    pack_version = Str()
    digest = Str()
    explanation = Obj(ExplanationReply, description="解释：事实、规则、条款")


class EnrolmentEventDataReply(Reply):
    """What an enrolment event carries; the fields depend on its ``kind``."""

    application_id = Str(optional=True)
    care_mode = Code("care_modes", optional=True)
    institution_uscc = Str(optional=True, null=True)
    agreement_no = Str(optional=True, null=True)
    clause = Str(optional=True)
    copay_band = Str(optional=True, null=True, description="自付档次")
    copay_share = Str(optional=True, null=True, description="自付比例（0–1）")
    income_per_head = Yuan(optional=True, null=True)
    next_review_on = Day(optional=True, null=True)
    note = Str(optional=True, null=True)
    role = Str(optional=True, description="经办人角色")
    reason = Str(optional=True, null=True, description="原因（代码或说明）")
    from_ = Str(data_key="from", optional=True, null=True,
                description="变更前（照护方式或失能等级）")
    to = Str(optional=True, null=True, description="变更后（照护方式或失能等级）")
    due_on = Day(optional=True)


class EnrolmentEventReply(Reply):
    kind = Str(description="事件：started 纳入、review_completed 复核、care_mode_changed "
                           "变更照护方式、incapacity_changed 失能等级变化、review_due 复核到期、"
                           "ended 终止、handed_over 移交")
    on = Day()
    at = Instant()
    actor = Str(null=True)
    data = Obj(EnrolmentEventDataReply, description="事件内容（字段随事件而定）")


class EnrolmentReply(Reply):
    enrolment_id = Str(description="纳入照护编号")
    id_number_masked = Str()
    application_id = Str(null=True)
    division_code = Str()
    care_mode = Code("care_modes")
    status = Code("enrolment_states")
    policy_pack = Code("policy_packs")
    pack_version = Str()
    hardship = ListOf(Code("hardship"), description="纳入时的困难身份")
    incapacity_level = Code("incapacity_levels", null=True)
    institution_uscc = Str(null=True)
    copay_band = Str(null=True, description="家庭自付档次（年度收入复核后）")
    started_on = Day()
    ended_on = Day(null=True)
    end_reason = Code("enrolment_end_reasons", null=True)
    next_review_on = Day(null=True)
    assessment_valid_until = Day(null=True, description="失能评估有效期至")
    updated_at = Instant()
    history = ListOf(EnrolmentEventReply, description="纳入以来的事件，按时间排列")


class MemberSchema(Schema):
    name = Text(64, required=True)
    relationship = fields.String(required=True, validate=validate.OneOf(
        ["spouse", "child", "parent", "sibling", "other"]))
    id_number = IdNumber()


class HouseholdSchema(Schema):
    members = fields.List(fields.Nested(MemberSchema))
    income_per_head = Money()
    income_group = fields.String(allow_none=True, validate=validate.OneOf(
        ["low", "lower_middle", "middle", "upper_middle", "high"]))
    assets = fields.Dict(keys=fields.String(), values=fields.Boolean())
    lives_alone = fields.Boolean()
    no_spouse_or_children = fields.Boolean()
    no_supporter = fields.Boolean()
    no_close_relatives = fields.Boolean()
    depends_on_relatives = fields.Boolean()
    guardian_unable = fields.Boolean()
    no_work_ability = fields.Boolean()
    no_stable_income = fields.Boolean()
    serious_illness = fields.Boolean()
    needs_long_term_care = fields.Boolean()
    no_carer = fields.Boolean()
    sudden_no_carer = fields.Boolean()
    health_stable = fields.Boolean()
    valid_from = CalendarDate()


class HardshipSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(HARDSHIP))
    source = Text(64, load_default="civil_affairs")
    valid_from = CalendarDate(required=True)
    valid_until = CalendarDate(allow_none=True)


class RegisterPersonSchema(Schema):
    id_number = IdNumber(required=True)
    name = Text(64, required=True)
    division_code = Division((12,), required=True)
    registration = fields.String(required=True, validate=validate.OneOf(["rural", "urban"]))
    household = fields.Nested(HouseholdSchema)
    hardship = fields.List(fields.Nested(HardshipSchema))


class EndHardshipSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(HARDSHIP))
    ended_on = CalendarDate(required=True)
    reason = Text(500)


class OnArgs(Schema):
    on = CalendarDate(metadata={"description": "判定日期，默认今天 (Asia/Shanghai)"})
    known_at = CalendarMoment(metadata={
        "description": "只用此时刻之前记录的事实（回放当时的判定）"})


class PersonListArgs(PageArgs):
    division_code = Division()
    eligible = fields.Boolean(metadata={"description": "按最近一次资格判定筛选"})
    name = Text(64, metadata={"description": "姓名包含"})
    hardship = CodeArg("hardship", "当前持有该困难身份（未终止）的人")
    care_mode = CodeArg("care_modes", "正以该方式接受照护的人")
    enrolled = fields.Boolean(metadata={"description": "true 在册照护中；false 未纳入照护"})
    alive = fields.Boolean(metadata={
        "description": "true 在世（与统计的登记人数一致）；false 已故"})


class _ScopeCache:
    """id_number → division_code for a few seconds (``PERSON_SCOPE_TTL``; 0 = off):
    reads that only need to know *where* a person lives (eligibility, enrolments,
    statements, cards) skip the extra get_person RPC. Never caches the record."""

    def __init__(self):
        self._data: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, id_number: str, ttl: float) -> str | None:
        hit = self._data.get(id_number)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        return None

    def put(self, id_number: str, division_code: str, ttl: float) -> None:
        with self._lock:
            if len(self._data) > 50000:
                self._data.clear()
            self._data[id_number] = (time.monotonic() + ttl, division_code)


_SCOPES = _ScopeCache()
