"""Request and reply schemas of applications, notices and objections (the REST
edge; the routes are in ``doudi_gateway.resources.applications``)."""

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
    IdNumber,
    Instant,
    Int,
    ListOf,
    MapOf,
    Money,
    Month,
    Obj,
    PageArgs,
    PersonRef,
    Reply,
    Str,
    Text,
    Uscc,
    YearMonth,
    Yuan,
    page_of,
)
from doudi_gateway.schemas.services_log import ServiceItemReply

CARE_MODES = list(codes("care_modes"))
ACTIONS = list(codes("review_actions"))
STATES = list(codes("application_states"))


class ConsentSchema(Schema):
    given = fields.Boolean(required=True)
    by = Text(64, required=True)
    on = CalendarDate(required=True)
    note = Text(500)


class CaregiverSchema(Schema):
    """The neighbour caregiver declared with the application (puyang-2020 §五 §七)."""

    name = Text(64, required=True)
    relationship = Text(32, required=True, metadata={"description": "与本人的亲戚关系"})
    id_number = IdNumber(required=True)
    village_code = Division(metadata={"description": "照护服务人员居住的村（社区），12 位"})
    healthy = fields.Boolean(metadata={"description": "身体健康"})
    agrees = fields.Boolean(metadata={"description": "照护服务人员家庭同意（双向选择）"})
    moves_in = fields.Boolean(metadata={"description": "本人到外村亲戚家居住（特殊情况）"})
    poor_household = fields.Boolean(metadata={"description": "照护服务人员为贫困户（优先）"})


class FileApplicationSchema(Schema):
    id_number = IdNumber(required=True)
    care_mode = fields.String(required=True, validate=validate.OneOf(CARE_MODES))
    channel = fields.String(load_default="clerk",
                            validate=validate.OneOf(["clerk", "person", "guardian"]))
    documents = fields.List(fields.String(validate=validate.OneOf(codes("application_documents"))),
                            load_default=list, metadata={
                                "description": "已收齐的申请材料",
                                "x-vocabulary": "application_documents"})
    consent = fields.Nested(ConsentSchema, required=True)
    institution_uscc = Uscc()
    caregiver = fields.Nested(CaregiverSchema)
    submitted_on = CalendarDate()
    comment = Text(1000)


class ReviewSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    comment = Text(1000)
    data = fields.Dict(keys=fields.String(),
                       metadata={"description": "见 RPC.md：家访、需求评估、部门、签约"})


class ApplicationListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(STATES))
    division_code = Division()
    id_number = IdNumber(metadata={"description": "只看这个人的申请（身份证号或 person_ref）"})
    date_from = CalendarDate()
    date_to = CalendarDate()
    policy_pack = Text(64)


class NoticeArgs(PageArgs):
    township_code = Division(required=True)
    date_from = CalendarDate(required=True)
    date_to = CalendarDate(required=True)


class NoticeCsvArgs(Schema):
    township_code = Division(required=True)
    format = ExportFormat(with_json=False)
    date_from = CalendarDate(required=True)
    date_to = CalendarDate(required=True)


class StandingArgs(PageArgs):
    division_code = Division(required=True)


class StandingCsvArgs(Schema):
    division_code = Division(required=True)
    format = ExportFormat(with_json=False)


class ConsentReply(Reply):
    given = Bool(description="是否同意（申请、入住、退出均尊重本人意愿）")
    by = Str(description="表示同意的人：本人或监护人姓名")
    on = Day(description="表示同意的日期")
    note = Str(null=True)
    clause = Str(description="依据条款")


class CaregiverReply(Reply):
    name = Str()
    relationship = Str()
    id_number = Str()
    village_code = Str(optional=True, description="照护服务人员居住的村（社区）")
    healthy = Bool(optional=True, description="身体健康")
    agrees = Bool(optional=True, description="照护服务人员家庭同意（双向选择）")
    moves_in = Bool(optional=True, description="本人到外村亲戚家居住")
    poor_household = Bool(optional=True, description="照护服务人员为贫困户")


class SignoffReply(Reply):
    on = Day(description="会签日期")
    comment = Str(null=True)
    actor = Str(optional=True)
    role = Str(optional=True)


class HomeVisitReply(Reply):
    on = Day(description="入户调查日期")
    by = Str(description="调查人")
    findings = Str(description="调查结果")


class NeedsAssessmentReply(Reply):
    incapacity_level = Code("incapacity_levels", optional=True)
    needs = ListOf(Str(), optional=True, description="需求（服务项目代码或说明）")
    note = Str(optional=True)


class StepDataReply(Reply):
    """What a step recorded; which fields depends on the action."""

    consent = Obj(ConsentReply, optional=True)
    documents = ListOf(Code("application_documents"), optional=True, description="收齐的申请材料")
    home_visit = Obj(HomeVisitReply, optional=True, description="入户调查（乡镇初核）")
    needs_assessment = Obj(NeedsAssessmentReply, optional=True, description="需求评估（乡镇初核）")
    department = Code("signoff_departments", optional=True, description="会签部门")
    signed_on = Day(optional=True)
    agreement_no = Str(optional=True, null=True)
    institution_uscc = Str(optional=True, null=True)
    notice_from = Day(optional=True)
    notice_until = Day(optional=True)


class StepReply(Reply):
    id = Int()
    seq = Int(description="序号")
    action = Code("application_steps", description="办理环节")
    from_state = Code("application_states", null=True, description="办理前状态")
    to_state = Code("application_states", description="办理后状态")
    actor = Str()
    role = Str()
    on_date = Day(description="办理日期")
    at = Instant()
    comment = Str(null=True)
    data = Obj(StepDataReply, description="办理时记录的内容")


class ApplicationSummaryReply(Reply):
    application_id = Str()
    id_number = Str(description="身份证号码：有 persons:read_full 权限的角色在详情中为完整号码，"
                                "列表中总是脱敏")
    id_number_masked = Str()
    person_ref = PersonRef()
    name = Str()
    division_code = Str()
    care_mode = Code("care_modes")
    policy_pack = Code("policy_packs")
    pack_version = Str()
    state = Code("application_states")
    chain = ListOf(Code("application_steps"), description="该政策的审批环节")
    next_actions = ListOf(Code("review_actions"), description="当前可办理的操作")
    channel = Code("application_channels")
    submitted_by = Str()
    submitted_role = Str()
    submitted_on = Day()
    documents = ListOf(Code("application_documents"), description="已收齐的申请材料")
    consent = Obj(ConsentReply, description="本人（或监护人）同意")
    institution_uscc = Str(null=True, description="申请入住的机构（集中供养）")
    caregiver = Obj(CaregiverReply, null=True, description="照护人（邻里照护）")
    signoffs = MapOf(fields.Nested(SignoffReply), description="部门会签：部门代码 → 会签")
    notice_from = Day(null=True)
    notice_until = Day(null=True)
    approved_on = Day(null=True)
    rejected_on = Day(null=True)
    reason = Str(null=True, description="不予批准或撤回的原因")
    decision_id = Str(null=True)
    enrolment_id = Str(null=True)
    updated_at = Instant()


class ApplicationReply(ApplicationSummaryReply):
    steps = ListOf(StepReply, description="办理经过，按时间排列")


ApplicationPageReply = page_of(ApplicationSummaryReply, "ApplicationPageReply",
                               "申请（身份证号脱敏），先提交的在前")


class NoticeRowReply(Reply):
    application_id = Str()
    name = Str()
    id_number_masked = Str()
    division_code = Str()
    care_mode = Code("care_modes")
    policy_pack = Code("policy_packs")
    approved_on = Day(null=True)
    notice_from = Day(null=True)
    notice_until = Day(null=True)
    state = Code("application_states")


NoticePageReply = page_of(NoticeRowReply, "NoticePageReply", "公示名单（身份证号脱敏）")


class StandingRowReply(Reply):
    enrolment_id = Str()
    name = Str()
    id_number_masked = Str()
    division_code = Str()
    care_mode = Code("care_modes")
    policy_pack = Code("policy_packs")
    since = Day(description="开始享受服务的日期")
    clause = Str(description="要求长期公示的条款")


StandingPageReply = page_of(StandingRowReply, "StandingPageReply",
                            "长期公示名单：正在享受服务的对象（身份证号脱敏）")


class PackRuleReply(Reply):
    id = Str(description="规则编号")
    label = Str(description="规则名称")
    clause = Str()
    condition = Str(description="规则条件（中文）")
    wording = Str(description="条款原文（摘录）；未摘录为空字符串")


class TargetGroupRuleReply(PackRuleReply):
    care_modes = ListOf(Code("care_modes"), description="该类别限定的照护方式；空为不限")


class PriorityRuleReply(PackRuleReply):
    rank = Int(description="优先级（1 最高）")


class CopayBandReply(Reply):
    band = Str(description="档次")
    max_income = Yuan(null=True, description="月人均收入上限（元）；最高档为 null")
    share = Str(description="自付比例（0–1）")
    clause = Str()


class PackReply(Reply):
    id = Code("policy_packs", description="政策文件简称")
    version = Str(description="版本号")
    title = Str(description="政策名称")
    document = Str(description="文号")
    jurisdiction = Str(description="适用区划代码")
    effective_from = Day()
    effective_until = Day(null=True)
    care_modes = ListOf(Code("care_modes"), description="该政策的照护方式")
    accepted_standards = ListOf(Code("assessment_standards"), description="认可的失能评估标准")
    chain = ListOf(Code("application_steps"), description="审批环节")
    chain_clause = Str(description="审批环节的依据条款")
    notice_days = Int(description="公示天数；0 为不设公示期")
    standing_notice_clause = Str(
        null=True, description="要求对享受服务的对象长期公示的条款；文件未要求时为空")
    required_documents = ListOf(Code("application_documents"),
                                description="通过乡镇审核前须收齐的申请材料")
    documents_clause = Str(null=True, description="要求收齐上述材料的条款；文件未要求时为空")
    review_interval_months = Int(description="复核间隔（月）")
    signoff_departments = ListOf(Code("signoff_departments"), description="会签部门")
    handover_age = Int(null=True, description="移交民政的年龄；不移交为 null")
    handover_modes = ListOf(Code("care_modes"), description="移交时终止的照护方式")
    general_rules = ListOf(PackRuleReply, description="一般条件（全部须满足）")
    target_groups = ListOf(TargetGroupRuleReply, description="对象类别（满足其一）")
    mode_rules = MapOf(fields.List(fields.Nested(PackRuleReply)),
                       description="各照护方式的附加条件：照护方式代码 → 规则")
    priority = ListOf(PriorityRuleReply, description="优先级规则")
    copay_bands = ListOf(CopayBandReply, description="家庭自付档次")


class FundingPolicyReply(Reply):
    self_pay_bands = ListOf(CopayBandReply,
                            description="家庭自付档次（文件未要求家庭付费的为空）")
    self_pay_exempt = ListOf(Code("hardship"), description="不需家庭自付的困难身份")
    caregiver_subsidy_monthly = Yuan(description="邻里照护每月托养照护补贴，元")
    management_fee_per_head_year = Yuan(description="特困集中供养每人每年管理费，元")
    hospital_free_days = Int(null=True, description="住院超过此天数不计费；null 为全额计费")
    topup_sources = ListOf(Str(), description="在县级财政之前承担兜底的部门资金")
    pilot_fund_pays_services = Bool(description="服务补贴由试点专户支付")
    integration_clause = Str(null=True, description="个人补贴全额整合拨付机构的依据条款")
    integration_excess = Str(null=True,
                             description="补贴超出核算费用部分的处理（本系统采用的解读）")
    clauses = MapOf(fields.String(), description="资金规则 → 依据条款")


class CoHousingPostRuleReply(Reply):
    min_households = Int(description="入住户数达到该数（含）的联养点须配置公益岗")
    posts = Int(description="应配置的公益岗数")
    arranged_by = Str(description="负责协调配置的层级：township 乡镇政府")
    clause = Str(description="依据条款")
    wording = Str(description="文件原文")


class AdmissionPolicyReply(Reply):
    infection_block_clause = Str(null=True, description="传染病未解除不得集中入住的依据条款；"
                                                         "为空则不因此拒收")
    infection_block_wording = Str(null=True, description="该条款原文")
    co_housing_post = Obj(CoHousingPostRuleReply, null=True,
                          description="居村联养点配置公益岗的规定；无则 null")


class PolicyPackReply(PackReply):
    """The whole of a jurisdiction's policy: eligibility (the pack), funding,
    the service catalogue and the admission rules, each from the service that
    applies it."""

    funding = Obj(FundingPolicyReply, description="资金结算部分（资金服务）")
    service_items = ListOf(ServiceItemReply, description="服务目录（服务记录服务）")
    admission = Obj(AdmissionPolicyReply, description="入住规则（机构服务）")


class EnrolmentReviewSchema(Schema):
    completed_on = CalendarDate(required=True)
    income_per_head = Money(required=True)
    note = Text(1000)


class CareModeSchema(Schema):
    care_mode = fields.String(required=True, validate=validate.OneOf(CARE_MODES))
    on = CalendarDate(required=True)
    reason = Text(500, required=True)


class EndEnrolmentSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(
        ["improved", "voluntary_exit", "moved_away", "no_longer_eligible", "other"]))
    on = CalendarDate(required=True)
    note = Text(1000)


class PackArgs(Schema):
    version = Text(16)


class CaseloadArgs(Schema):
    division_code = Division(required=True)
    month = Month(required=True, metadata={"description": "统计月份 YYYY-MM"})
    format = ExportFormat()


class PendingStageReply(Reply):
    count = Int(description="该环节待办的申请数")
    median_days = fields.Float(metadata={"description": "已等待天数的中位数"})
    max_days = Int(description="最长等待天数")


class ReviewsDueReply(Reply):
    due = Int(description="本月底前到期的年度复核（照护中的人员）")
    overdue = Int(description="今天已逾期的年度复核")


class CaseloadReply(Reply):
    division_code = Str(description="统计的区划（县 6 位、乡镇 9 位、村 12 位）")
    month = YearMonth(description="统计月份")
    registered = Int(description="登记在册的在世人员")
    eligible = Int(description="当前符合条件的人员")
    in_care = Int(description="月底正在照护的人数")
    by_hardship = MapOf(fields.Dict(keys=fields.String(), values=fields.Integer()),
                        description="月底在照护人数：困难类别 → 照护方式 → 人数"
                                    "（有两种身份的人分别计入；none 为未记录）")
    entries = Int(description="本月纳入照护的人数")
    exits = Int(description="本月终止照护的人数")
    exits_by_reason = MapOf(fields.Integer(), description="本月终止照护：终止原因 → 人数")
    pending = MapOf(fields.Nested(PendingStageReply),
                    description="在办申请：所处环节 → 数量与等待天数")
    reviews = Obj(ReviewsDueReply)
