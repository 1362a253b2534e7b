"""Request and reply schemas of the volunteer time bank (the routes are in
``doudi_gateway.resources.time_bank``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from doudi_gateway.schemas.fields import (
    IdNumber,
    Instant,
    Int,
    Obj,
    PersonRef,
    Reply,
    Str,
    Text,
    page_of,
)


class TimeTransferSchema(Schema):
    to_id_number = IdNumber(required=True)
    minutes = fields.Integer(required=True, validate=validate.Range(min=1, max=100000))
    relation = fields.String(required=True, validate=validate.OneOf(
        ["spouse", "parent", "child", "sibling", "grandparent", "grandchild"]))


class RedeemSchema(Schema):
    minutes = fields.Integer(required=True, validate=validate.Range(min=1, max=100000))
    service_item = Text(32)
    note = Text(500)


class TimeBalanceReply(Reply):
    id_number = Str(description="身份证号码（脱敏）")
    id_number_masked = Str()
    person_ref = PersonRef()
    balance_minutes = Int(description="余额（分钟）")
    balance_hours = Str(description="余额（小时，两位小数）")


class TimeEntryReply(Reply):
    entry_id = Int()
    at = Instant()
    kind = Str(description="credit 存入、transfer_out 转出、transfer_in 转入、redeem 兑换、"
                           "reversal 冲销")
    minutes = Int(description="分钟数（支出为负数）")
    balance_after = Int(description="记账后余额（分钟）")
    record_id = Str(null=True, description="存入所依据的服务记录")
    counterparty_masked = Str(null=True)
    note = Str(null=True)
    by = Str()


TimeEntryPageReply = page_of(TimeEntryReply, "TimeEntryPageReply", "时间银行流水")


class TimeBankReply(TimeBalanceReply):
    history = Obj(TimeEntryPageReply, description="流水（分页）")


class TimeTransferReply(Reply):
    from_ = Obj(TimeBalanceReply, data_key="from", description="转出方余额")
    to = Obj(TimeBalanceReply, description="转入方余额")
