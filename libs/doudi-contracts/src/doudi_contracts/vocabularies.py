"""Every enumerated code the suite accepts or returns, with the Chinese label
staff see (and an English one), in the order staff expect — one source of
truth. The event contracts, the services and the gateway take their choices
from here (``codes(name)``), and a test walks every choice validator of the
suite and fails on a value no vocabulary labels. The gateway serves them at
``/api/v1/vocabularies``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Term:
    code: str
    zh: str
    en: str
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "label": self.zh, "label_en": self.en, **self.detail}


@dataclass(frozen=True)
class Vocabulary:
    name: str
    title: str
    terms: tuple[Term, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.terms)

    def label(self, code: str) -> str:
        for term in self.terms:
            if term.code == code:
                return term.zh
        raise KeyError(f"{self.name}: no label for {code!r}")

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title,
                "terms": [t.as_dict() for t in self.terms]}


def _v(name: str, title: str, *terms: tuple[str, str, str] | Term) -> Vocabulary:
    return Vocabulary(name, title, tuple(t if isinstance(t, Term) else Term(*t) for t in terms))


_ALL = [
    # -- persons and eligibility --------------------------------------------------------
    _v("care_modes", "照护方式",
       ("centralized", "集中供养", "centralised care"),
       ("neighbor", "居家邻里照护", "neighbour care"),
       ("day_care", "日间照料", "day care"),
       ("co_housing", "居村联养", "village co-housing"),
       ("home_visit", "居家上门服务", "home visits"),
       ("family_bed", "家庭养老床位", "family care bed"),
       ("dispersed", "分散供养", "dispersed support")),
    _v("hardship", "困难类别",
       ("tekun", "特困人员", "extreme poverty (tekun)"),
       ("dibao", "低保对象", "minimum living (dibao)"),
       ("low_income", "低保边缘家庭", "low income"),
       ("registered_poor", "建档立卡贫困人口", "registered poor"),
       ("expenditure_poor", "支出型困难家庭", "expenditure poverty"),
       ("fp_special", "计划生育特殊家庭", "family-planning special family"),
       ("unsupported_child", "事实无人抚养儿童", "de facto unsupported child"),
       ("orphan", "孤儿", "orphan"),
       ("child_in_difficulty", "困境儿童", "child in difficulty"),
       ("stranded", "临时遇困人员", "stranded person")),
    _v("registrations", "户籍类别",
       ("rural", "农业户籍", "rural"), ("urban", "城镇户籍", "urban")),
    _v("sexes", "性别", ("male", "男", "male"), ("female", "女", "female")),
    _v("income_groups", "家庭收入档次",
       ("low", "低收入", "low"), ("lower_middle", "中低收入", "lower middle"),
       ("middle", "中等收入", "middle"), ("upper_middle", "中高收入", "upper middle"),
       ("high", "高收入", "high")),
    _v("household_flags", "家庭情况",
       ("lives_alone", "独自居住", "lives alone"),
       ("no_spouse_or_children", "无配偶或丧偶无子女", "no spouse or children"),
       ("no_supporter", "无抚养（赡养）人", "no supporter"),
       ("no_close_relatives", "无近亲属", "no close relatives"),
       ("depends_on_relatives", "依靠亲属扶养", "depends on relatives"),
       ("no_work_ability", "无劳动能力", "no work ability"),
       ("no_stable_income", "无稳定收入", "no stable income"),
       ("needs_long_term_care", "需要长期日常照料", "needs long-term care"),
       ("no_carer", "无人照顾", "nobody looks after them"),
       ("sudden_no_carer", "因突发原因短时间生活无人照料",
        "briefly without care after a sudden event"),
       ("health_stable", "健康状况稳定", "health stable"),
       ("serious_illness", "家中有重病患者", "serious illness in the family"),
       ("guardian_unable", "无监护人或监护人无监护能力", "no able guardian"),
       ("income_group", "家庭收入档次", "income group"),
       ("income_per_head", "家庭月人均收入", "monthly income per head"),
       ("assets", "家庭财产", "assets"), ("members", "家庭成员", "members")),
    _v("relations", "亲属关系",
       ("spouse", "配偶", "spouse"), ("parent", "父母", "parent"), ("child", "子女", "child"),
       ("sibling", "兄弟姐妹", "sibling"), ("grandparent", "祖父母、外祖父母", "grandparent"),
       ("grandchild", "孙子女、外孙子女", "grandchild"), ("other", "其他", "other")),
    _v("incapacity_levels", "失能等级",
       ("none", "能自理", "self-sufficient"), ("partial", "部分失能", "partly incapacitated"),
       ("full", "完全失能", "fully incapacitated")),
    _v("assessment_standards", "能力评估标准",
       ("MZ/T 039-2013", "老年人能力评估（MZ/T 039-2013）", "elderly ability assessment 2013"),
       ("GB/T 42195-2022", "老年人能力评估规范（GB/T 42195-2022）",
        "elderly ability assessment 2022"),
       ("LTC-2021", "长期护理失能等级评估（2021）", "long-term care assessment 2021"),
       ("AH-TK-2017", "安徽省特困人员生活自理能力评估（皖民社救字〔2017〕129号）",
        "Anhui tekun self-care assessment 2017"),
       ("GB/T 26341-2010", "残疾人评定（残疾人残疾分类和分级 GB/T 26341-2010）",
        "disability grading GB/T 26341-2010")),
    _v("disability_categories", "残疾类别",
       ("vision", "视力残疾", "vision"), ("hearing", "听力残疾", "hearing"),
       ("speech", "言语残疾", "speech"), ("physical", "肢体残疾", "physical"),
       ("intellectual", "智力残疾", "intellectual"), ("mental", "精神残疾", "mental"),
       ("multiple", "多重残疾", "multiple")),
    _v("disability_grades", "残疾等级",
       ("1", "一级", "grade 1"), ("2", "二级", "grade 2"), ("3", "三级", "grade 3"),
       ("4", "四级", "grade 4")),
    _v("subsidy_kinds", "个人补贴",
       ("dibao", "低保金", "dibao allowance"),
       ("disabled_living_allowance", "困难残疾人生活补贴", "disabled living allowance"),
       ("severe_disability_nursing_subsidy", "重度残疾人护理补贴",
        "severe-disability nursing subsidy")),
    _v("application_states", "申请状态",
       ("submitted", "已提交", "submitted"), ("village_reviewed", "村级已审核", "village reviewed"),
       ("township_checked", "乡镇已初核", "township checked"),
       ("signed_off", "部门已会签", "departments signed off"), ("in_notice", "公示中", "in notice"),
       ("approved", "已批准", "approved"), ("enrolled", "已纳入", "enrolled"),
       ("rejected", "未批准", "rejected"), ("withdrawn", "已撤回", "withdrawn")),
    _v("review_actions", "审核操作",
       ("village_review", "村级审核", "village review"),
       ("township_check", "乡镇初核", "township check"),
       ("department_signoff", "部门会签", "department sign-off"),
       ("approve", "批准", "approve"), ("reject", "不予批准", "reject"),
       ("object", "提出异议", "object"), ("close_notice", "结束公示", "close notice"),
       ("sign_agreement", "签订养护协议", "sign agreement"), ("withdraw", "撤回", "withdraw")),
    _v("application_channels", "申请渠道",
       ("clerk", "村（居）委会代办", "filed by the village clerk"),
       ("person", "本人申请", "by the person"), ("guardian", "监护人申请", "by the guardian")),
    _v("enrolment_states", "照护状态",
       ("active", "照护中", "active"), ("ended", "已终止", "ended")),
    _v("enrolment_end_reasons", "终止原因",
       ("deceased", "死亡", "deceased"), ("improved", "状况好转", "improved"),
       ("voluntary_exit", "本人自愿退出", "left voluntarily"),
       ("handed_over", "年满60周岁移交民政", "handed over at 60"),
       ("moved_away", "迁出", "moved away"), ("no_longer_eligible", "不再符合条件",
                                            "no longer eligible"),
       ("other", "其他", "other")),
    _v("fact_kinds", "事实类型",
       ("hardship", "困难身份", "hardship status"),
       ("hardship_ended", "困难身份终止", "hardship ended"),
       ("household", "家庭情况", "household"),
       ("residence", "户籍或居住地变更", "residence"),
       ("incapacity_assessment", "失能评估", "incapacity assessment"),
       ("disability_certificate", "残疾证", "disability certificate"),
       ("disability_certificate_revoked", "残疾证注销", "disability certificate revoked"),
       ("infection_flagged", "传染病报告", "infection flagged"),
       ("infection_cleared", "传染病解除", "infection cleared"),
       ("hospital_admitted", "住院", "admitted to hospital"),
       ("hospital_discharged", "出院", "discharged from hospital"),
       ("death", "死亡", "death"),
       ("handed_over", "年满60周岁移交民政", "handed over at 60")),
    _v("application_documents", "申请材料",
       ("household_register", "户口本", "household register"),
       ("id_card", "身份证", "ID card"),
       ("disability_certificate", "残疾证", "disability certificate"),
       ("poverty_proof", "贫困证明", "poverty proof"),
       ("income_proof", "收入证明", "income proof"),
       ("assessment_report", "能力评估报告", "assessment report"),
       ("medical_record", "病历", "medical record"),
       ("guardian_proof", "监护关系证明", "guardian proof"),
       ("application_form", "申请表", "application form"),
       ("needs_assessment_form", "需求评估表", "needs assessment form"),
       ("other", "其他材料", "other")),
    _v("application_steps", "办理环节",
       ("submit", "提交申请", "submit"),
       ("village_review", "村级审核", "village review"),
       ("township_check", "乡镇初核", "township check"),
       ("department_signoff", "部门会签", "department sign-off"),
       ("approve", "批准", "approve"),
       ("public_notice", "公示", "public notice"),
       ("reject", "不予批准", "reject"),
       ("object", "提出异议", "objection"),
       ("close_notice", "结束公示", "close notice"),
       ("sign_agreement", "签订养护协议", "sign agreement"),
       ("withdraw", "撤回", "withdraw")),
    _v("signoff_departments", "会签部门",
       ("cdpf", "残联", "disabled persons' federation"),
       ("civil_affairs", "民政", "civil affairs"),
       ("health", "卫健", "health"),
       ("poverty_office", "乡村振兴部门", "rural revitalisation (poverty) office")),
    _v("enrolment_events", "照护记录事项",
       ("started", "纳入照护", "started"), ("review_completed", "年度复核", "review completed"),
       ("care_mode_changed", "变更照护方式", "care mode changed"),
       ("incapacity_changed", "失能等级变化", "incapacity changed"),
       ("review_due", "复核到期", "review due"), ("ended", "终止照护", "ended"),
       ("handed_over", "移交民政", "handed over")),
    _v("card_events", "服务卡记录事项",
       ("opened", "建档", "opened"), ("issued", "发卡", "issued"), ("changed", "变更", "changed"),
       ("suspended", "暂停", "suspended"), ("resumed", "恢复", "resumed"),
       ("ended", "终止", "ended"), ("end_corrected", "更正终止", "end corrected"),
       ("enrolment_changed", "照护变化", "enrolment changed"),
       ("document_added", "补充材料", "document added"),
       ("person_deceased", "死亡", "deceased"), ("person_handed_over", "移交", "handed over")),
    _v("review_kinds", "复核类型",
       ("annual_income", "家庭收入年度评估", "annual income review"),
       ("incapacity", "失能复评", "incapacity re-assessment"),
       ("certificate", "残疾证变更", "certificate change"),
       ("eligibility", "资格复核", "eligibility review")),
    _v("policy_packs", "政策文件",
       Term("luan-2021", "六安市农村失能人员集中养护", "Lu'an 2021",
            {"issuer": "六安市人民政府办公室", "number": "六政办秘〔2021〕12号",
             "division_code": "341500"}),
       Term("hangzhou-2024", "杭州市特困供养服务机构区域化集中", "Hangzhou 2024",
            {"issuer": "杭州市民政局", "number": "杭民发〔2024〕39号", "division_code": "330100"}),
       Term("lanzhou-2021", "兰州市居家和社区基本养老服务", "Lanzhou 2021",
            {"issuer": "兰州市人民政府办公室", "number": "兰政办发〔2021〕140号",
             "division_code": "620100"}),
       Term("puyang-2020", "濮阳市特殊困难群体四种照护模式", "Puyang 2020",
            {"issuer": "濮阳市人民政府办公室", "number": "濮政办〔2020〕48号",
             "division_code": "410900"}),
       Term("qingyunpu-2021", "青云谱区服务类社会救助", "Qingyunpu 2021",
            {"issuer": "南昌市青云谱区民政局", "number": "（征求意见稿）",
             "division_code": "360104"})),
    # -- institutions -----------------------------------------------------------------------
    _v("institution_kinds", "机构类型",
       ("tekun_home", "特困人员供养服务机构", "tekun care home"),
       ("care_home", "养老机构", "care home"),
       ("health_centre_beds", "卫生院托养床位", "health-centre beds"),
       ("day_care_centre", "日间照料中心", "day-care centre"),
       ("co_housing_site", "居村联养点", "co-housing site"),
       ("community_centre", "社区养老服务中心", "community care centre"),
       ("home_service_provider", "居家养老服务组织", "home-care provider")),
    _v("institution_statuses", "机构状态",
       ("preparing", "筹建中", "preparing"), ("open", "运营中", "open"),
       ("suspended", "暂停服务", "suspended"), ("merging", "撤并中", "merging"),
       ("closed", "已关闭", "closed")),
    _v("legal_forms", "法人类型",
       ("public_institution", "事业单位", "public institution"),
       ("private_non_enterprise", "民办非企业单位", "private non-enterprise"),
       ("enterprise", "企业", "enterprise")),
    _v("operating_models", "运营方式",
       ("public", "公办公营", "public"), ("public_built_private_run", "公建民营",
                                      "public-built, private-run"),
       ("private_run_public_aided", "民办公助", "private-run, public-aided"),
       ("social_entrustment", "委托社会力量运营", "entrusted"), ("private", "民办", "private")),
    _v("grading_standards", "等级评定标准",
       ("GB/T 37276-2018", "养老机构等级划分与评定（GB/T 37276-2018）",
        "GB/T 37276-2018 grading of elderly care institutions")),
    _v("institution_grades", "机构等级（GB/T 37276-2018）",
       ("1", "一级", "grade 1"), ("2", "二级", "grade 2"), ("3", "三级", "grade 3"),
       ("4", "四级", "grade 4"), ("5", "五级", "grade 5")),
    _v("licence_kinds", "证照类型",
       ("registration", "登记证书", "registration"), ("fire_safety", "消防安全检查合格证",
                                                  "fire safety"),
       ("food_business", "食品经营许可证", "food business"),
       ("medical_room", "医务室执业许可", "medical room"),
       ("medical_insurance", "医保定点协议", "medical-insurance designation")),
    _v("bed_statuses", "床位状态",
       ("available", "空闲", "available"), ("occupied", "已入住", "occupied"),
       ("out_of_service", "停用", "out of service")),
    _v("placement_statuses", "入住状态", ("open", "在住", "in care"), ("closed", "已离院",
                                                                 "ended")),
    _v("admission_request_statuses", "入住申请状态",
       ("pending", "待入住", "pending"), ("admitted", "已入住", "admitted"),
       ("refused", "未能入住", "refused")),
    _v("discharge_reasons", "离院原因",
       ("deceased", "死亡", "deceased"), ("voluntary", "自愿离院", "left voluntarily"),
       ("no_longer_eligible", "不再符合条件", "no longer eligible"),
       ("care_mode_changed", "照护方式变更", "care mode changed"),
       ("handed_over", "移交民政", "handed over"), ("hospital_long_stay", "长期住院",
                                                "long hospital stay"),
       ("transferred", "转院", "transferred"), ("other", "其他", "other")),
    _v("catalog_categories", "收费项目类别",
       ("bed", "床位费", "bed"), ("nursing", "护理费", "nursing"), ("meals", "伙食费", "meals"),
       ("rehabilitation", "康复费", "rehabilitation"), ("supplies", "用品费", "supplies"),
       ("overhead", "管理费", "overhead"), ("extra", "其他服务费", "extra")),
    _v("catalog_units", "计价单位",
       ("month", "每月", "per month"), ("day", "每日", "per day"), ("each", "每次", "each")),
    _v("inspection_kinds", "检查类型",
       ("fire_safety", "消防安全", "fire safety"), ("food_safety", "食品安全", "food safety"),
       ("fund_policy", "资金与政策执行", "funds and policy"),
       ("infection_control", "传染病防控", "infection control"), ("service", "服务质量",
                                                             "service")),
    _v("inspection_results", "检查结论",
       ("passed", "合格", "passed"), ("rectification_required", "限期整改",
                                    "rectification required"),
       ("failed", "不合格", "failed")),
    _v("finding_severities", "问题等级",
       ("minor", "一般", "minor"), ("major", "较重", "major"), ("critical", "严重", "critical")),
    # -- funding --------------------------------------------------------------------------
    _v("fund_channels", "资金渠道（luan-2021 §三(四)）",
       ("own_subsidies", "个人补贴", "own subsidies"), ("family_share", "家庭自付", "family share"),
       ("donations", "社会捐助", "donations"), ("county_cover", "县级兜底", "county cover")),
    _v("ledger_account_kinds", "账户类型",
       ("subsidy", "政策性补贴", "policy subsidies"), ("family", "家庭自付应收",
                                                  "family receivable"),
       ("donations", "社会捐助资金池", "donation pool"), ("county_cover", "县级兜底补助",
                                                   "county top-up"),
       ("caregiver_subsidy", "照护补贴", "caregiver subsidy"),
       ("service_subsidy", "服务补贴", "service subsidy"), ("pilot", "试点资金专户",
                                                        "pilot account"),
       ("topup", "部门补充资金", "department top-up"), ("management_fee", "管理费",
                                                  "management fee"),
       ("payable", "应付款", "payable"), ("cash", "银行存款", "bank")),
    _v("settlement_lines", "结算行",
       ("regular", "本月结算", "this month"), ("adjustment", "补差调整", "adjustment")),
    _v("donation_earmarks", "捐赠用途",
       ("county", "县级统筹", "county pool"), ("institution", "定向机构", "one institution"),
       ("centralized", "集中供养", "centralised care")),
    _v("topup_sources", "部门资金来源",
       ("cdpf", "残联", "disabled persons' federation"), ("civil_affairs", "民政", "civil affairs"),
       ("poverty", "乡村振兴部门", "rural revitalisation (poverty) office")),
    _v("pilot_purposes", "专项资金用途",
       ("service_subsidy", "服务补贴", "service subsidy"),
       ("caregiver_subsidy", "照护补贴", "caregiver subsidy"), ("care_fee", "养护费", "care fee"),
       ("living_money", "生活费", "living money")),
    _v("payee_kinds", "收款方",
       ("provider", "服务机构", "provider"), ("institution", "养护机构", "institution"),
       ("caregiver", "照护人", "caregiver"), ("person", "本人", "the person")),
    _v("cover_sources", "兜底资金来源", ("county_finance", "县级财政", "county finance")),
    # -- services ---------------------------------------------------------------------------
    _v("service_items", "服务项目",
       ("meals", "助餐", "meals"), ("home_care", "居家照料", "home care"),
       ("day_care", "日间照料", "day care"), ("cleaning", "助洁", "cleaning"),
       ("shopping", "代购", "shopping"), ("appliance_repair", "家电维修", "appliance repair"),
       ("personal_care", "个人护理", "personal care"), ("family_sickbed", "家庭病床",
                                                    "family sickbed"),
       ("medical_nursing", "医疗护理", "medical nursing"), ("medical_escort", "陪同就医",
                                                        "medical escort"),
       ("rehabilitation", "康复训练", "rehabilitation"),
       ("medicine_delivery", "送药上门", "medicine delivery"), ("counselling", "心理疏导",
                                                            "counselling"),
       ("information", "信息咨询", "information"), ("skills", "技能培训", "skills"),
       ("social_integration", "社会融入", "social integration"),
       ("health_talk", "健康讲座", "health talk"), ("community_clinic", "社区义诊",
                                                "community clinic"),
       ("walking_help", "助行", "walking help"), ("bathing", "助浴", "bathing"),
       ("visit", "探访", "visit")),
    _v("card_statuses", "服务卡状态",
       ("pending_assessment", "待需求评估", "awaiting assessment"), ("active", "使用中", "active"),
       ("suspended", "暂停", "suspended"), ("ended", "已终止", "ended")),
    _v("record_statuses", "服务记录状态",
       ("recorded", "已登记", "recorded"), ("verified", "已核实", "verified"),
       ("superseded", "已更正", "superseded")),
    _v("document_kinds", "档案材料",
       ("id_card", "身份证", "ID card"), ("household_register", "户口本", "household register"),
       ("illness_proof", "疾病证明", "illness proof"),
       ("disability_certificate", "残疾证", "disability certificate"),
       ("assistance_proof", "社会救助对象证明", "assistance proof"),
       ("needs_form", "需求认定表", "needs form"),
       ("service_received_form", "接受救助服务情况表", "services received form"),
       ("other", "其他", "other")),
    _v("provider_kinds", "服务提供者类型",
       ("institution", "养护机构", "institution"), ("organisation", "社会组织", "organisation"),
       ("social_worker", "社会工作者", "social worker"), ("volunteer", "志愿者", "volunteer"),
       ("neighbor", "邻里照护人", "neighbour")),
    _v("visit_kinds", "探访类型",
       ("regular", "定期探访", "regular visit"), ("neighbor", "邻里探访", "neighbour visit")),
    _v("alert_kinds", "警报类型",
       ("doorbell", "爱心门铃", "doorbell"), ("missed_visit", "探访逾期", "missed visit"),
       ("health", "健康", "health"), ("safety", "安全", "safety"), ("other", "其他", "other")),
    _v("alert_statuses", "警报状态",
       ("raised", "待处理", "raised"), ("acknowledged", "已确认", "acknowledged"),
       ("resolved", "已处理", "resolved")),
    _v("verifier_roles", "核实人",
       ("person", "服务对象本人", "the person served"),
       ("township_staff", "乡镇（街道）工作人员", "township staff")),
    # -- the gateway's own ------------------------------------------------------------------
    _v("division_levels", "区划层级",
       ("province", "省", "province"), ("city", "市", "city"), ("county", "县（区）", "county"),
       ("township", "乡镇（街道）", "township"), ("village", "村（社区）", "village")),
    _v("job_states", "任务状态",
       ("queued", "排队中", "queued"), ("running", "进行中", "running"),
       ("succeeded", "已完成", "succeeded"), ("failed", "失败", "failed")),
    _v("job_phases", "任务阶段",
       ("queued", "排队", "queued"), ("loading", "读取", "loading"),
       ("settling", "计算", "settling"), ("posting", "记账", "posting"),
       ("paying", "支付", "paying"), ("rendering", "生成文件", "rendering"),
       ("done", "完成", "done")),
    _v("job_kinds", "任务类型",
       ("settlement", "月度结算", "monthly settlement"), ("export", "导出报表", "export")),
    _v("export_reports", "可导出的报表",
       ("settlement_lines", "逐人结算明细", "settlement lines"),
       ("payouts", "支付记录", "payouts")),
    _v("audit_outcomes", "审计结果",
       ("ok", "成功", "ok"), ("denied", "无权", "denied"), ("rejected", "被拒绝", "rejected"),
       ("failed", "失败", "failed"), ("rate_limited", "频率受限", "rate limited"),
       ("pending", "处理中", "pending")),
    _v("export_formats", "导出格式",
       ("json", "JSON", "JSON"), ("csv", "CSV（Excel 可打开）", "CSV"),
       ("xlsx", "Excel 工作簿", "XLSX")),
]

VOCABULARIES: dict[str, Vocabulary] = {v.name: v for v in _ALL}


def vocabulary(name: str) -> Vocabulary:
    return VOCABULARIES[name]


def codes(name: str) -> tuple[str, ...]:
    """The codes of a vocabulary, in order (for ``OneOf``/``Choice``)."""
    return VOCABULARIES[name].codes


def label(name: str, code: str) -> str:
    """The Chinese label of ``code`` in vocabulary ``name``."""
    return VOCABULARIES[name].label(code)


def label_or_code(name: str, code: Any) -> str:
    """The Chinese label when ``code`` is in vocabulary ``name``; else the value
    as it is (numbers, free text, a code from a newer contract)."""
    try:
        return VOCABULARIES[name].label(str(code))
    except KeyError:
        return str(code)


def check_code(name: str, code: Any, field: str | None = None) -> str | None:
    """``code`` when it is one of vocabulary ``name``'s (None passes); else Invalid."""
    from doudi_common.errors import Invalid

    if code is None or code in VOCABULARIES[name].codes:
        return code
    raise Invalid(f"{VOCABULARIES[name].title}没有此项：{code!r}", field=field or name,
                  reason="unknown_code", allowed=list(VOCABULARIES[name].codes))


def covering(choices: tuple[Any, ...] | list[Any]) -> Vocabulary | None:
    """A vocabulary that labels every one of ``choices`` (None if none does)."""
    wanted = {str(c) for c in choices}
    for vocabulary_ in VOCABULARIES.values():
        if wanted <= set(vocabulary_.codes):
            return vocabulary_
    return None
