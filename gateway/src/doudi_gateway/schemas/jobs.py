"""Reply schemas of background jobs (a county's settlement)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

STATES = ["queued", "running", "succeeded", "failed"]


class JobSchema(Schema):
    job_id = fields.String(required=True, metadata={
        "description": "任务编号", "example": "JOB-6F1C1C8E0B7A4F439D8E"})
    kind = fields.String(required=True, metadata={"description": "任务类型：settlement 月度结算"})
    state = fields.String(required=True, validate=validate.OneOf(STATES), metadata={
        "description": "状态：queued 排队、running 进行中、succeeded 完成、failed 失败"})
    phase = fields.String(required=True, allow_none=True, metadata={
        "description": "阶段：queued、loading 读取、settling 计算、posting 记账、"
                       "paying 支付、done"})
    done = fields.Integer(required=True, metadata={"description": "已处理的入住（个案）数"})
    total = fields.Integer(required=True, allow_none=True, metadata={
        "description": "个案总数（读取后才知道）"})
    attempts = fields.Integer(required=True, metadata={
        "description": "执行次数（进程中断后续跑会增加）"})
    division_code = fields.String(required=True, metadata={"description": "县级区划代码"})
    params = fields.Dict(required=True, metadata={"description": "任务参数（区划、月份）"})
    result = fields.Dict(required=True, allow_none=True, metadata={
        "description": "完成时的结算结果（同 GET /funding/settlements/{division_code}/{month}）"})
    error = fields.Dict(required=True, allow_none=True, metadata={
        "description": "失败时的 problem+json"})
    requested_by = fields.String(required=True, metadata={"description": "发起人"})
    created_at = fields.String(required=True, metadata={"description": "创建时间 (ISO 8601)"})
    started_at = fields.String(required=True, allow_none=True, metadata={
        "description": "开始时间 (ISO 8601)"})
    finished_at = fields.String(required=True, allow_none=True, metadata={
        "description": "结束时间 (ISO 8601)"})


class JobListSchema(Schema):
    items = fields.List(fields.Nested(JobSchema), required=True, metadata={
        "description": "本人发起的任务，新的在前"})
    total = fields.Integer(required=True, metadata={"description": "任务数"})
