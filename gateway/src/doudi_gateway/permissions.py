"""Roles and what each may do: the written permission table.

Every endpoint under ``/api/v1`` names exactly one permission (``@requires``);
a role holds a set of permissions. ``docs/permissions.md`` is generated from this
module (``python -m doudi_gateway.permission_docs > docs/permissions.md``) and a test
checks that it is current and that every endpoint is covered.

Besides the role, every user has a jurisdiction (a division code; empty = all):
persons, applications, institutions and money outside it are invisible (404 on a
single read) or forbidden (403 on an action). Institution staff additionally see
only their own institution.
"""

from __future__ import annotations

ROLES: dict[str, str] = {
    "village_clerk": "村(居)委会 / 社会救助服务信息员",
    "township_officer": "乡镇政府 / 街道",
    "county_officer": "县(区)民政局",
    "city_officer": "市民政局",
    "institution_staff": "养护机构工作人员",
    "department_liaison": "部门联络员 (残联、卫健、医保)",
    "auditor": "审计 / 监督",
    "admin": "系统管理员",
}

PERMISSIONS: dict[str, str] = {
    "persons:read": "查看人员（身份证号、电话脱敏）、事实记录、资格判定",
    "persons:read_full": "查看完整身份证号和电话（每次读取记入审计）",
    "persons:write": "登记人员及家庭、困难情况",
    "applications:read": "查看申请及审核记录",
    "applications:create": "提交申请",
    "applications:review": "审核申请（初审、初核、审批）",
    "enrolments:read": "查看纳入照护记录",
    "enrolments:write": "年度复核、变更照护方式、退出",
    "notices:read": "下载公示名单 (CSV)",
    "institutions:read": "查看机构、许可证、服务目录、床位",
    "institutions:write": "登记、更新机构、床位、服务目录",
    "placements:read": "查看入住安置",
    "placements:write": "办理入住、转院、离院",
    "inspections:read": "查看检查记录",
    "inspections:write": "记录检查",
    "consolidation:read": "查看机构整合方案",
    "funding:read": "查看结算、个人账户明细、对账",
    "funding:write": "发起结算、支付",
    "donations:read": "查看捐赠",
    "donations:write": "登记捐赠",
    "services:read": "查看服务卡、服务记录、走访、预警、时间银行",
    "services:write": "记录服务、走访",
    "services:close_month": "月度结账（服务记录锁定，供资金结算）",
    "cards:write": "发放服务卡",
    "services:price": "设定服务项目单价",
    "alerts:write": "处理预警",
    "audit:read": "查询审计记录",
    "divisions:write": "登记乡镇（街道）、村（社区）的名称",
    "account:read": "查看本人账号、角色、辖区和权限",
    "users:manage": "管理用户：新增、停用、启用、重置密码、解锁",
}

_READ = {p for p in PERMISSIONS if p.endswith(":read") and p != "account:read"}

_ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "village_clerk": frozenset({
        "persons:read", "persons:write", "applications:read", "applications:create",
        "applications:review",
        "enrolments:read", "notices:read", "services:read", "services:write"}),
    "township_officer": frozenset({
        "persons:read", "persons:read_full", "persons:write", "applications:read",
        "applications:create",
        "applications:review", "enrolments:read", "notices:read", "institutions:read",
        "placements:read", "funding:read", "services:read", "services:write", "cards:write",
        "alerts:write", "services:close_month"}),
    "county_officer": frozenset(
        (_READ - {"audit:read"}) | {
            "persons:read_full", "persons:write", "applications:create",
            "applications:review", "enrolments:write", "institutions:write", "placements:write",
            "inspections:write", "funding:write",
            "donations:write", "services:write", "cards:write", "alerts:write",
            "services:close_month", "services:price"}),
    "city_officer": frozenset(
        (_READ - {"audit:read"}) | {"persons:read_full", "inspections:write"}),
    "institution_staff": frozenset({
        "persons:read", "enrolments:read", "institutions:read", "placements:read",
        "placements:write", "services:read", "services:write", "alerts:write"}),
    "department_liaison": frozenset({
        "persons:read", "enrolments:read", "institutions:read"}),
    "auditor": frozenset(_READ | {"persons:read_full"}),
    "admin": frozenset(PERMISSIONS),
}
#: everyone may read their own account (the portal's header and menus)
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    role: perms | {"account:read"} for role, perms in _ROLE_PERMISSIONS.items()}

if set(ROLE_PERMISSIONS) != set(ROLES) or not all(
        p in PERMISSIONS for perms in ROLE_PERMISSIONS.values() for p in perms):
    raise RuntimeError("ROLE_PERMISSIONS names a role or permission that does not exist")


def allowed(role: str | None, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role or "", frozenset())


def requires(permission: str):
    """Mark a view with the permission it needs. Put it right above ``def`` (so
    flask-smorest's wrappers copy the mark); the gateway checks it before any
    argument parsing, so an unauthorised caller never learns what is valid."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def mark(fn):
        fn._doudi_permission = permission
        doc = (fn.__doc__ or "").rstrip()
        roles = ", ".join(r for r in ROLES if allowed(r, permission))
        fn.__doc__ = f"{doc}\n\n权限 `{permission}`: {roles}" if doc else \
            f"权限 `{permission}`: {roles}"
        return fn

    return mark


def render_markdown(endpoints: list[tuple[str, str, str]] | None = None) -> str:
    """The permission table as Markdown; ``endpoints`` = (method, path, permission)."""
    roles = list(ROLES)
    lines = ["# Gateway permissions", "",
             ("Generated from `gateway/src/doudi_gateway/permissions.py` "
              "(`uv run python -m doudi_gateway.permission_docs > docs/permissions.md`); "
              "a test fails when this file is not current."), "",
             ("Every user has one role and a jurisdiction (division code; empty = all). "
              "Everything outside the jurisdiction is invisible: 404 on reading a single "
              "item, 403 on an action. Institution staff see only their own institution. "
              "Full ID and phone numbers need `persons:read_full`; every such read is audited."),
             "", "## Roles", "", "| role | who |", "|---|---|"]
    lines += [f"| `{r}` | {ROLES[r]} |" for r in roles]
    lines += ["", "## Permissions by role", "",
              "| permission | meaning | " + " | ".join(f"`{r}`" for r in roles) + " |",
              "|---|---|" + "---|" * len(roles)]
    for perm, meaning in PERMISSIONS.items():
        marks = " | ".join("✓" if allowed(r, perm) else "" for r in roles)
        lines.append(f"| `{perm}` | {meaning} | {marks} |")
    if endpoints:
        lines += ["", "## Endpoints", "",
                  "| method | path | permission | " + " | ".join(f"`{r}`" for r in roles)
                  + " |", "|---|---|---|" + "---|" * len(roles)]
        for method, path, perm in endpoints:
            marks = " | ".join("✓" if allowed(r, perm) else "" for r in roles)
            lines.append(f"| {method} | `{path}` | `{perm}` | {marks} |")
    lines.append("")
    return "\n".join(lines)
