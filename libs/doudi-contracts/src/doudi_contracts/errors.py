"""The one error the catalogue raises about a message."""

from __future__ import annotations

from typing import Any

from doudi_common.errors import Invalid
from doudi_common.ids import mask_in_text

#: Stable reason codes, used as the dead-letter reason.
REASONS = ("bad_envelope", "unknown_type", "bad_data", "source_mismatch")

_MAX_DETAIL = 600


class ContractError(Invalid):
    """A message breaks the contract.

    ``reason`` is one of :data:`REASONS`; ``detail`` a short human message with
    the field errors (ID numbers masked); ``errors`` the field errors as a dict.
    A subclass of ``Invalid`` so that, raised in a request, it becomes a 422.
    """

    def __init__(self, reason: str, detail: str, errors: Any = None):
        if reason not in REASONS:
            raise ValueError(f"unknown contract error reason {reason!r}")
        detail = mask_in_text(detail)
        if len(detail) > _MAX_DETAIL:
            detail = detail[:_MAX_DETAIL - 1] + "…"
        masked_errors = _mask(errors) if errors is not None else None
        super().__init__(detail, reason=reason, errors=masked_errors)
        self.reason = reason
        self.errors = masked_errors

    def __repr__(self) -> str:
        return f"ContractError({self.reason!r}, {self.detail!r})"


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {mask_in_text(str(k)): _mask(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask(v) for v in value]
    return mask_in_text(value) if isinstance(value, str) else value


def flatten_errors(errors: Any, prefix: str = "") -> list[str]:
    """marshmallow's nested error dict -> ``["field.sub: message", ...]``."""
    if isinstance(errors, dict):
        out: list[str] = []
        for key, val in errors.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                name = prefix or "(整体)"
            out.extend(flatten_errors(val, name))
        return out
    if isinstance(errors, (list, tuple)):
        if all(isinstance(e, str) for e in errors):
            return [f"{prefix}: {'；'.join(errors)}" if prefix else "；".join(errors)]
        out = []
        for e in errors:
            out.extend(flatten_errors(e, prefix))
        return out
    return [f"{prefix}: {errors}" if prefix else str(errors)]


def describe(errors: Any) -> str:
    return "; ".join(flatten_errors(errors))
