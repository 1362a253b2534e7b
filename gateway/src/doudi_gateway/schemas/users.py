"""Request and reply schemas of accounts: who is signed in, and the users an
administrator manages (the routes are in ``doudi_gateway.resources.users``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from doudi_gateway.permissions import ROLES
from doudi_gateway.schemas.fields import Bool, Instant, ListOf, Reply, Str, Text, Uscc

#: a password a person chooses: long enough, not only spaces
PASSWORD = {"validate": [validate.Length(min=8, max=128, error="密码应为 8–128 位"),
                         validate.Regexp(r"^\s*\S", error="密码不能全是空格")],
            "load_only": True}


class MeReply(Reply):
    username = Str(description="用户名")
    display_name = Str(null=True, description="姓名（显示用）；未填为 null")
    role = Str(description="角色（代码，中文名称见 /api/v1/vocabularies/roles）")
    role_label = Str(description="角色的中文名称")
    jurisdiction = Str(description="辖区的区划代码；空字符串为全部")
    jurisdiction_name = Str(description="辖区名称，如 安徽省六安市金安区；全部为 全部辖区")
    institution_id = Str(null=True, description="机构工作人员所属机构的统一社会信用代码")
    permissions = ListOf(Str(), description="本人拥有的权限（代码，中文名称见 "
                                            "/api/v1/vocabularies/permissions）")


class UserReply(Reply):
    username = Str(description="用户名")
    display_name = Str(null=True, description="姓名（显示用）")
    role = Str(description="角色（代码，中文名称见 /api/v1/vocabularies/roles）")
    jurisdiction = Str(description="辖区的区划代码；空字符串为全部")
    institution_id = Str(null=True, description="所属机构的统一社会信用代码（机构工作人员）")
    disabled = Bool(description="是否已停用")
    locked = Bool(description="是否因多次密码错误被锁定")
    locked_until = Instant(null=True, description="锁定到何时；未锁定为 null")
    created_at = Instant()
    updated_at = Instant()


class UserListReply(Reply):
    items = ListOf(UserReply, description="全部用户，按用户名")
    total = fields.Integer(required=True, metadata={"description": "用户数"})


class NewUserSchema(Schema):
    username = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9_.-]{2,64}$", error="用户名为 2–64 位字母、数字、点、下划线或连字符"),
        metadata={"description": "用户名（登录用）", "pattern": r"^[A-Za-z0-9_.-]{2,64}$"})
    password = fields.String(required=True, **PASSWORD,
                             metadata={"description": "初始密码（至少 8 位）"})
    role = fields.String(required=True, validate=validate.OneOf(list(ROLES)),
                         metadata={"description": "角色", "x-vocabulary": "roles"})
    jurisdiction = fields.String(load_default="", validate=validate.Regexp(
        r"^((1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[12])(\d{4}|\d{7}|\d{10}))?$",
        error="辖区应为 6、9 或 12 位区划代码，或留空（全部）"), metadata={
        "description": "辖区的区划代码（6、9 或 12 位）；留空为全部",
        "pattern": r"^((1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[12])"
                   r"(\d{4}|\d{7}|\d{10}))?$"})
    institution_id = Uscc(metadata={"description": "所属机构（机构工作人员必填）"})
    display_name = Text(64, metadata={"description": "姓名（显示用）"})


class PasswordSchema(Schema):
    password = fields.String(required=True, **PASSWORD,
                             metadata={"description": "新密码（至少 8 位）；原有登录全部失效"})
