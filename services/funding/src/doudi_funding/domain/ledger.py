"""The double-entry ledger, pure: accounts, postings, balanced transactions.

Sign convention: an amount > 0 is a debit, < 0 a credit; a transaction's
amounts sum to zero to the fen. Amounts are integer fen. A transaction is never
edited: a correction is a reversing transaction (:func:`reversal`), a late fact
is an adjustment in a later month.

Account codes (``county`` = 6-digit county code; ``party`` names the sub-ledger:
an institution's USCC or a person's ID number):

* ``subsidy:<county>:<kind>`` — the person's policy subsidies merged for care
  (dibao, disabled_living_allowance, severe_disability_nursing_subsidy)
* ``family:<county>`` — family self-pay receivable
* ``donations:<county>`` — donation pool (party = institution for earmarked gifts)
* ``county_cover:<county>`` — county top-up (兜底)
* ``topup:<county>:<source>`` — department funds carrying the top-up (puyang-2020 §六:
  cdpf, civil_affairs, poverty)
* ``caregiver_subsidy:<county>`` — county caregiver subsidy (puyang-2020 §五)
* ``service_subsidy:<county>`` — serve-then-subsidise budget
* ``pilot:<county>`` — pilot special account, restricted purposes (qingyunpu-2021 §六(二))
* ``management_fee:<county>`` — per-head management fee (hangzhou-2024 §五(二))
* ``payable:<county>:<purpose>`` — owed to a payee (party), purpose = care_fee,
  living_money, caregiver_subsidy, service_subsidy
* ``cash:<county>`` — the county's bank account (donations in, payouts out)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from doudi_common.errors import Conflict, Forbidden, Invalid

from doudi_funding.domain.settlement import SUBSIDY_KINDS, CaseSplit

CAUSES = ("settlement", "adjustment", "payout", "donation", "funding", "spend", "correction")

ACCOUNT_KINDS = {
    "subsidy": "policy subsidies", "family": "family self-pay receivable",
    "donations": "donation pool", "county_cover": "county top-up",
    "caregiver_subsidy": "county caregiver subsidy", "service_subsidy": "service subsidy budget",
    "pilot": "pilot special account", "topup": "department top-up fund",
    "management_fee": "management fee",
    "payable": "payable", "cash": "bank",
}


def account(kind: str, county: str, *rest: str) -> str:
    return ":".join((kind, county, *rest))


@dataclass(frozen=True)
class Posting:
    account: str
    amount: int  # fen, debit > 0
    party: str | None = None
    id_number: str | None = None
    case_id: str | None = None


@dataclass(frozen=True)
class Transaction:
    cause: str
    postings: tuple[Posting, ...]
    purpose: str | None = None
    memo: str = ""
    links: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.cause not in CAUSES:
            raise Invalid(f"未知的交易原因：{self.cause}", reason="bad_cause")
        if not self.postings:
            raise Invalid("交易没有分录", reason="empty_transaction")
        if sum(p.amount for p in self.postings) != 0:
            raise Invalid("交易借贷不平衡", reason="unbalanced",
                          difference=sum(p.amount for p in self.postings))


def transaction(cause: str, postings: Iterable[Posting], **kwargs: Any) -> Transaction:
    """A balanced transaction; zero postings are dropped."""
    return Transaction(cause, tuple(p for p in postings if p.amount), **kwargs)


def reversal(original: Transaction, reason: str) -> Transaction:
    return Transaction("correction", tuple(
        Posting(p.account, -p.amount, p.party, p.id_number, p.case_id)
        for p in original.postings), purpose=original.purpose, memo=reason)


def reversal_reason(reason: object) -> str:
    """A reversal says why (the audit trail keeps it)."""
    if not isinstance(reason, str) or not reason.strip():
        raise Invalid("冲正必须说明原因", reason="reason_required")
    return reason.strip()


def reversal_of(original: Transaction, cause: str, reason: str,
                reversed_by: str | None) -> Transaction:
    """The correction that undoes ``original`` (a correction is a new entry,
    never an edit). Settlements, their adjustments and payouts are corrected
    through next month's adjustment instead; a correction is not reversed
    again; a transaction is reversed once."""
    if cause in ("settlement", "adjustment", "payout"):
        raise Conflict("结算与支付交易不能直接冲正，请通过次月调整更正",
                       reason="settlement_txn", cause=cause)
    if cause == "correction":
        raise Conflict("冲正交易不能再次冲正", reason="is_correction")
    if reversed_by is not None:
        raise Conflict("该交易已冲正", reason="already_reversed")
    return reversal(original, reversal_reason(reason))


def check_purposes(txn: Transaction, restricted: Mapping[str, tuple[str, ...]]) -> None:
    """专款专用 (qingyunpu-2021 §六(二)): money may leave a restricted account
    only for one of its purposes."""
    for p in txn.postings:
        purposes = restricted.get(p.account)
        if purposes is not None and p.amount > 0 and txn.cause != "correction" \
                and txn.purpose not in purposes:
            raise Forbidden("专项资金专款专用，不得用于其他用途", reason="off_purpose",
                            account=p.account, purpose=txn.purpose,
                            allowed=",".join(purposes))


def settlement_postings(split: CaseSplit, county: str, *, id_number: str,
                        payee: str | None) -> list[Posting]:
    """The entries of one case's month (or adjustment): payables credited,
    channels debited. Mirrors the set-based SQL in ``store.py``."""
    case = split.case_id
    pp = {"id_number": id_number, "case_id": case}
    out = [Posting(account("subsidy", county, kind), amount, None, **pp)
           for kind, amount in zip(SUBSIDY_KINDS, split.subsidies, strict=True)]
    out += [Posting(account("family", county), split.family, None, **pp),
            Posting(account("donations", county), split.donations_earmarked, payee, **pp),
            Posting(account("donations", county), split.donations_pool, None, **pp),
            Posting(account("county_cover", county), split.county, None, **pp),
            Posting(account("caregiver_subsidy", county), split.caregiver_subsidy, None, **pp)]
    if split.kind == "neighbor":
        out += [Posting(account("payable", county, "living_money"), -split.own, payee, **pp),
                Posting(account("payable", county, "caregiver_subsidy"),
                        -split.caregiver_subsidy, payee, **pp)]
    else:
        # what the channels paid: the cost, and integrated subsidies above it (excess)
        out.append(Posting(account("payable", county, "care_fee"), -(split.cost + split.excess),
                           payee, **pp))
    return [p for p in out if p.amount]


def draw_in_order(need: int, balances: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Take ``need`` from funds in the given order while their balances last."""
    out = []
    for name, available in balances:
        take = min(need, max(available, 0))
        if take:
            out.append((name, take))
            need -= take
    return out
