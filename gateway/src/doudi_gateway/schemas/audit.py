"""Request and reply schemas of the audit trail (the REST edge; the routes are in
``doudi_gateway.resources.audit``)."""

from __future__ import annotations

from marshmallow import fields, validate

from doudi_gateway.schemas.fields import (
    Bool,
    CalendarMoment,
    Code,
    IdNumber,
    Instant,
    Int,
    Obj,
    PageArgs,
    Reply,
    Str,
    Text,
    page_of,
)


class AuditArgs(PageArgs):
    username = Text(64)
    action = Text(64)
    outcome = fields.String(validate=validate.OneOf(
        ["ok", "denied", "rejected", "failed", "rate_limited", "pending"]))
    id_number = IdNumber(metadata={"description": "只看涉及此人的记录（按密钥哈希匹配）"})
    since = CalendarMoment()
    until = CalendarMoment()


class AuditDetailReply(Reply):
    full_record = Bool(optional=True, description="此次写入也读取了完整记录")
    reason = Str(optional=True, description="拒绝或失败的原因")
    code = Str(optional=True, description="拒绝或失败的原因代码")


class AuditEntrySchema(Reply):
    id = Int()
    at = Instant(description="发生时间 (ISO 8601，带时区)")
    request_id = Str(null=True)
    username = Str(null=True, description="操作人（用户名）；未登录为 null")
    role = Str(null=True, description="操作人的角色（代码，中文名称见 /api/v1/vocabularies/roles）")
    action = Str(description="操作：<方法> <路由>（写入），或 person.read_full（读取完整记录）、"
                             "login（登录）")
    method = Str(description="HTTP 方法")
    path = Str(description="请求路径")
    resource_id = Str(null=True, description="涉及的资源编号（身份证号脱敏）")
    status = Int(description="HTTP 状态码")
    outcome = Code("audit_outcomes", description="结果")
    remote_addr = Str(null=True, description="客户端地址")
    detail = Obj(AuditDetailReply, null=True, description="补充说明")
    subject = Str(null=True, description="涉及人员身份证号的密钥哈希（按人查询用，不可还原）")


AuditPageSchema = page_of(AuditEntrySchema, "AuditPageReply", "审计记录，新的在前")
