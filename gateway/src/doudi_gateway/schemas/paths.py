"""What each path parameter is: its schema (pattern, named format, enum) and its
meaning, stated in the OpenAPI document so a client generated from it sends
only what the gateway accepts."""

from __future__ import annotations

from typing import Any

from doudi_contracts.vocabularies import codes

from doudi_gateway.schemas.fields import (
    DIVISION_FORMATS,
    ID_NUMBER_FORMAT,
    ID_NUMBER_PATTERN,
    ID_OR_REF_PATTERN,
    MONTH_PATTERN,
    USCC_FORMAT,
    USCC_PATTERN,
    division_pattern,
)


def _division(lengths: tuple[int, ...]) -> dict[str, Any]:
    return {"type": "string", "format": DIVISION_FORMATS[lengths],
            "pattern": division_pattern(lengths), "minLength": min(lengths),
            "maxLength": max(lengths)}


_ID = {"type": "string", "format": ID_NUMBER_FORMAT, "pattern": ID_NUMBER_PATTERN,
       "minLength": 18, "maxLength": 18}
_USCC = {"type": "string", "format": USCC_FORMAT, "pattern": USCC_PATTERN,
         "minLength": 18, "maxLength": 18}


def _text(pattern: str, max_len: int = 64) -> dict[str, Any]:
    return {"type": "string", "pattern": pattern, "minLength": 1, "maxLength": max_len}


#: name → (schema, description); ``(name, path suffix)`` for a name that means
#: different things in different paths
PATH_PARAMETERS: dict[Any, tuple[dict[str, Any], str]] = {
    "id_number": ({**_ID, "pattern": ID_OR_REF_PATTERN, "maxLength": 120},
                  "居民身份证号码（18 位，含校验位），或列表给出的人员链接参数 person_ref（p.…）"),
    "uscc": (_USCC, "机构的统一社会信用代码（18 位，含校验位）"),
    "county_code": (_division((6,)), "县（区）区划代码（6 位）"),
    "division_code": (_division((6,)), "县（区）区划代码（6 位）"),
    "jurisdiction": (_division((6,)), "服务目录所属辖区（如 620100 兰州市、360104 青云谱区）"),
    "month": ({"type": "string", "pattern": MONTH_PATTERN, "minLength": 7, "maxLength": 7},
              "月份 (YYYY-MM)"),
    "application_id": (_text(r"^APP-\d{6}-\d{4}-\d{5}$"), "申请编号（APP-<县>-<年>-<序号>）"),
    "enrolment_id": (_text(r"^ENR-\d{4}-\d{6}$"), "纳入照护编号（ENR-<年>-<序号>）"),
    "placement_id": (_text(r"^PL-\d+$"), "入住编号（PL-<序号>）"),
    "inspection_id": (_text(r"^INS-\d+$"), "检查编号（INS-<序号>）"),
    "finding_id": ({"type": "integer", "minimum": 1}, "问题编号"),
    "txn_id": (_text(r"^[A-Z]+[-:][0-9A-Za-z:_-]+$", 128), "记账交易编号"),
    "case_id": (_text(r"^(PL-\d+|NB-\d{6}-[0-9A-Za-z-]+)$", 128),
                "个案编号：入住 PL-…，邻里照护 NB-…"),
    "donation_id": (_text(r"^DN-\d{6}-\d{4}-\d{5}$"), "捐赠编号（DN-<县>-<年>-<序号>）"),
    "account_code": (_text(r"^[a-z_]+:\d{6}(:[a-z_]+)?$"),
                     "账户代码：<类型>:<县>[:<明细>]，如 pilot:341502、topup:341502:cdpf"),
    "record_id": (_text(r"^SR-[0-9A-F]+$"), "服务记录编号（SR-…）"),
    "alert_id": (_text(r"^AL-[0-9A-F]+$"), "预警编号（AL-…）"),
    "job_id": (_text(r"^JOB-[0-9A-F]+$"), "任务编号（JOB-…）"),
    "bed_no": (_text(r"^[0-9A-Za-z-]{1,16}$", 16), "床位号"),
    "pack_id": ({"type": "string", "enum": list(codes("policy_packs"))},
                "政策文件简称（代码，中文名称见 /api/v1/vocabularies/policy_packs）"),
    "username": ({"type": "string", "pattern": r"^[A-Za-z0-9_.-]{1,64}$", "minLength": 1,
                  "maxLength": 64}, "用户名"),
    "name": ({"type": "string", "pattern": r"^[a-z_]+$", "minLength": 1, "maxLength": 64},
             "词表名称（如 care_modes）；全部词表见 GET /api/v1/vocabularies"),
    ("code", "/divisions/{code}"): (_division((6, 9, 12)), "区划代码（6、9 或 12 位）"),
    ("code", "/divisions/{code}/children"): (_division((6, 9, 12)), "区划代码（6、9 或 12 位）"),
    ("code", "/catalog/{code}/prices"): (_text(r"^[0-9A-Za-z_-]{1,32}$", 32),
                                         "服务目录项目编码（机构自定）"),
    ("code", "/{code}/price"): ({"type": "string", "enum": list(codes("service_items"))},
                                "服务项目（代码，中文名称见 /api/v1/vocabularies/service_items）"),
}


def describe_path_parameters(path: str, parameters: list[dict[str, Any]]) -> None:
    """Fill each path parameter's schema and description from the table."""
    for parameter in parameters:
        if parameter.get("in") != "path":
            continue
        name = parameter["name"]
        entry = next((v for k, v in PATH_PARAMETERS.items()
                      if isinstance(k, tuple) and k[0] == name and path.endswith(k[1])), None)
        entry = entry or PATH_PARAMETERS.get(name)
        if entry is not None:
            parameter["schema"], parameter["description"] = dict(entry[0]), entry[1]
