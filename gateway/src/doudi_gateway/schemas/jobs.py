"""Reply schemas of background jobs (a county's settlement)."""

from __future__ import annotations

from doudi_contracts.vocabularies import codes
from marshmallow import Schema, fields, validate

from doudi_gateway.schemas.fields import (
    Code,
    Division,
    ExportFormat,
    Instant,
    Int,
    Month,
    Obj,
    Reply,
    Str,
    Uscc,
    YearMonth,
)
from doudi_gateway.schemas.funding import SettlementRunReply

STATES = list(codes("job_states"))


class JobParamsReply(Reply):
    division_code = Str(description="区划代码（结算为县级）")
    month = YearMonth(description="月份")
    report = Code("export_reports", optional=True, description="导出的报表（导出任务）")
    format = Code("export_formats", optional=True, description="文件格式（导出任务）")
    institution_uscc = Str(optional=True, null=True, description="只导出此机构（导出任务）")


class JobFileReply(Reply):
    url = Str(description="下载地址 /api/v1/jobs/{job_id}/file")
    filename = Str(description="文件名")
    content_type = Str(description="文件类型 (MIME)")
    rows = Int(description="数据行数")


class JobProblemReply(Reply):
    """Why a job failed (problem+json as the gateway would answer it)."""

    type = Str(optional=True, description="问题类型 URI")
    title = Str(optional=True, description="问题标题")
    status = Int(description="HTTP 状态码")
    detail = Str(description="原因（中文）")
    code = Str(optional=True, description="机器可读的原因代码")
    fields = fields.Dict(keys=fields.String(), values=fields.String(), required=False,
                         metadata={"description": "涉及的字段与取值（如 reason、month）"})


class JobSchema(Reply):
    job_id = fields.String(required=True, metadata={
        "description": "任务编号", "example": "JOB-6F1C1C8E0B7A4F439D8E"})
    kind = Code("job_kinds", description="任务类型")
    state = fields.String(required=True, validate=validate.OneOf(STATES), metadata={
        "description": "状态：queued 排队、running 进行中、succeeded 完成、failed 失败",
        "x-vocabulary": "job_states"})
    phase = fields.String(required=True, allow_none=True,
                          validate=validate.OneOf(codes("job_phases")), metadata={
                              "description": "阶段：queued、loading 读取、settling 计算、"
                                             "posting 记账、paying 支付、done",
                              "x-vocabulary": "job_phases"})
    done = fields.Integer(required=True, metadata={"description": "已处理的入住（个案）数"})
    total = fields.Integer(required=True, allow_none=True, metadata={
        "description": "个案总数（读取后才知道）"})
    attempts = fields.Integer(required=True, metadata={
        "description": "执行次数（进程中断后续跑会增加）"})
    division_code = fields.String(required=True, metadata={"description": "县级区划代码"})
    params = Obj(JobParamsReply, description="任务参数（区划、月份）")
    result = Obj(SettlementRunReply, null=True, description=(
        "完成时的结算结果（同 GET /funding/settlements/{division_code}/{month}）；未完成为 null"))
    error = Obj(JobProblemReply, null=True, description="失败时的 problem+json；否则为 null")
    file = Obj(JobFileReply, null=True, optional=True,
               description="导出任务完成后的文件；其他为 null 或没有")
    requested_by = fields.String(required=True, metadata={"description": "发起人"})
    created_at = Instant()
    started_at = Instant(null=True, description="开始时间 (ISO 8601，带时区)；未开始为 null")
    finished_at = Instant(null=True)


class ExportRequestSchema(Schema):
    report = fields.String(required=True, validate=validate.OneOf(codes("export_reports")),
                           metadata={"description": "报表", "x-vocabulary": "export_reports"})
    format = ExportFormat(with_json=False)
    month = Month(required=True)
    division_code = Division(metadata={"description": "区划代码；不填为本人辖区"})
    institution_uscc = Uscc(metadata={"description": "只导出此机构（逐人结算明细）"})


class JobListSchema(Reply):
    items = fields.List(fields.Nested(JobSchema), required=True, metadata={
        "description": "本人发起的任务，新的在前"})
    total = fields.Integer(required=True, metadata={"description": "任务数"})
