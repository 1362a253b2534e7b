"""Recording service records, one or a provider's batch: every record checked
against its card, the closed months, the provider's other records and the
batch itself (``RecordingContext`` loads what the checks need once per
batch), then stored set-based with their ``service.recorded`` events."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from doudi_common.args import optional_text, require_text
from doudi_common.errors import Conflict, Invalid
from doudi_common.ids import (
    validate_id_number,
)
from doudi_common.queries import any_of, any_of_param, built_once, bulk_insert
from sqlalchemy.dialects.postgresql import ARRAY

from doudi_services_log import policy
from doudi_services_log.domain import catalogue
from doudi_services_log.domain import closes as close_rules
from doudi_services_log.domain import records as record_rules
from doudi_services_log.domain.records import (
    CardView,
    Provider,
    amount_for,
    check_against_card,
    check_frequency,
    close_unit,
    overlap_error,
    parse_provider,
    quantity_for,
    service_times,
)
from doudi_services_log.models import (
    card_items,
    card_providers,
    cards,
    deaths,
    month_closes,
    records,
)
from doudi_services_log.store.cards import card_view
from doudi_services_log.store.closes import is_closed, lock_unit
from doudi_services_log.store.items import prices
from doudi_services_log.store.shared import (
    MAX_RECORD_SPAN,
    _new_id,
    death_of,
)


class RecordingContext:
    """Per-transaction state for recording (one record or a bulk upload): cards,
    deaths, prices, closed months, monthly counts and each worker's busy times
    are read once — for a bulk upload in a handful of queries up front — and the
    records of the upload itself are taken into account as they are prepared."""

    def __init__(self, session):
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self.cards: dict[str, tuple] = {}
        self.deaths: dict[str, date | None] = {}
        self.prices: dict[str, dict] = {}
        self.closed: dict[tuple, bool] = {}
        self.used: dict[tuple, int] = {}
        self.busy: dict[str, list[tuple[datetime, datetime, str]]] = {}
        self.locked: set[str] = set()
        self.prefetched: set[str] = set()
        self.units: set[tuple[str, str]] = set()
        self.valid_ids: dict[str, str] = {}
        # what the bulk scan parsed of each payload (by identity), not parsed twice
        self.parsed: dict[int, tuple] = {}

    # -- reads, cached -------------------------------------------------------------

    def _any(self, column, values):
        """``column IN values`` for a batch (one bound array on PostgreSQL)."""
        return any_of(self.session, column, values)

    def id_number(self, value) -> str:
        """``validate_id_number``, remembered for the numbers an upload repeats."""
        if isinstance(value, str):
            hit = self.valid_ids.get(value)
            if hit is not None:
                return hit
        valid = validate_id_number(value)
        self.valid_ids[value] = valid
        return valid

    def card(self, id_number):
        if id_number not in self.cards:
            self.cards[id_number] = card_view(self.session, id_number)
        return self.cards[id_number]

    def death(self, id_number):
        if id_number not in self.deaths:
            self.deaths[id_number] = death_of(self.session, id_number)
        return self.deaths[id_number]

    def price(self, jurisdiction, code):
        if jurisdiction not in self.prices:
            self.prices[jurisdiction] = prices(self.session, jurisdiction)
        return self.prices[jurisdiction].get(code)

    def is_closed(self, unit_kind, unit_code, month):
        if (unit_kind, unit_code) not in self.units:
            lock_unit(self.session, unit_kind, unit_code)
            self.units.add((unit_kind, unit_code))
        key = (unit_kind, unit_code, month)
        if key not in self.closed:
            self.closed[key] = is_closed(self.session, *key)
        return self.closed[key]

    def used_in_month(self, id_number, item, month, exclude: str | None):
        key = (id_number, item, month)
        if key not in self.used or exclude is not None:
            q = sa.select(sa.func.count()).select_from(records).where(
                records.c.id_number == id_number, records.c.service_item == item,
                records.c.month == month, records.c.status != "superseded",
                records.c.entry_kind != "reversal", records.c.corrected_by_record.is_(None))
            if exclude is not None:
                return self.session.execute(q.where(records.c.record_id != exclude)).scalar_one()
            self.used[key] = self.session.execute(q).scalar_one()
        return self.used[key]

    def overlapping(self, worker_key: str, start: datetime, end: datetime,
                    exclude: str | None) -> str | None:
        self.lock_workers([worker_key])
        if worker_key not in self.prefetched:
            q = sa.select(records.c.record_id).where(
                records.c.worker_key == worker_key, records.c.status != "superseded",
                records.c.entry_kind != "reversal", records.c.corrected_by_record.is_(None),
                records.c.started_at < end,
                # no record is longer than a day: keeps the index range scan short
                records.c.started_at > start - MAX_RECORD_SPAN,
                records.c.ended_at > start)
            if exclude is not None:
                q = q.where(records.c.record_id != exclude)
            found = self.session.execute(q.limit(1)).scalar()
            if found is not None:
                return found
        return next((rid for (s, e, rid) in self.busy.get(worker_key, ())
                     if s < end and e > start and rid != exclude), None)

    def lock_workers(self, keys) -> None:
        """Serialise recording per provider/worker so two concurrent uploads cannot
        both pass the overlap check (PostgreSQL advisory locks, in a fixed order)."""
        todo = sorted(set(keys) - self.locked)
        if not todo:
            return
        if self.postgres:
            self.session.execute(sa.text(
                "SELECT pg_advisory_xact_lock(7007, hashtext(k)) "
                "FROM (SELECT unnest(CAST(:keys AS text[])) AS k ORDER BY 1) AS s"),
                {"keys": todo})
        self.locked.update(todo)

    # -- writes of this transaction ------------------------------------------------

    def counted(self, id_number, item, month):
        key = (id_number, item, month)
        if key in self.used:
            self.used[key] += 1

    def occupy(self, worker_key, start, end, record_id):
        self.busy.setdefault(worker_key, []).append((start, end, record_id))

    # -- bulk -----------------------------------------------------------------------

    def prefetch(self, payloads: list) -> None:
        """Read what a bulk upload needs in a few queries. Payloads that do not parse
        are skipped here; they are refused with their reason when prepared."""
        people, workers, months = self._scan(payloads)
        if not people:
            return
        ids = sorted(people)
        found, items = self._prefetch_cards(ids)
        died = dict(self.session.execute(sa.select(deaths.c.id_number, deaths.c.date_of_death)
                                         .where(self._any(deaths.c.id_number, ids))).all())
        for id_number in ids:
            self.deaths[id_number] = died.get(id_number)
        self._prefetch_counts(ids, items, months)
        self._prefetch_closes(found, months)
        self._prefetch_busy(workers)

    def _scan(self, payloads: list) -> tuple[set, dict, set]:
        """The persons, the workers (with the span of their records) and the
        months a batch touches."""
        people, workers, months = set(), {}, set()
        for p in payloads:
            try:
                id_number = self.id_number(p.get("id_number"))
                times = service_times(p.get("started_at"), p.get("ended_at"))
                provider = parse_provider(p.get("provider"), check_id=self.id_number)
                worker = p.get("worker_id_number")
                worker = self.id_number(worker) if worker is not None else None
            except (Invalid, AttributeError):
                continue
            self.parsed[id(p)] = (times, provider)
            people.add(id_number)
            months.add(times.month)
            key = provider.key + (f"/{worker}" if worker else "")
            lo, hi = workers.get(key, (times.started_at, times.ended_at))
            workers[key] = (min(lo, times.started_at), max(hi, times.ended_at))
        return people, workers, months

    def _prefetch_cards(self, ids: list[str]) -> tuple[dict, dict[str, dict]]:
        # only what the checks and the record read: the full rows of 500 cards
        # (timestamps, reasons) cost more to take apart than to fetch
        found = {r.id_number: r for r in self.session.execute(
            sa.select(cards.c.id_number, cards.c.division_code, cards.c.jurisdiction,
                      cards.c.service_no, cards.c.status, cards.c.issued_on, cards.c.ended_on)
            .where(self._any(cards.c.id_number, ids))).all()}
        # whole results, unpacked as tuples: row by row through the cursor and
        # by attribute, 1,000 rows cost more than the queries themselves
        items: dict[str, dict] = {}
        for id_number, code, times in self.session.execute(
                sa.select(card_items.c.id_number, card_items.c.code,
                          card_items.c.times_per_month)
                .where(self._any(card_items.c.id_number, ids))).all():
            items.setdefault(id_number, {})[code] = times
        p = card_providers.c
        providers: dict[str, list] = {}
        for id_number, kind, uscc, provider_id, name, only in self.session.execute(
                sa.select(p.id_number, p.kind, p.uscc, p.provider_id_number, p.name, p["items"])
                .where(self._any(p.id_number, ids))).all():
            providers.setdefault(id_number, []).append(
                Provider(kind, uscc, provider_id, name, tuple(only) if only is not None else None))
        for id_number in ids:
            row = found.get(id_number)
            self.cards[id_number] = (row, None) if row is None else (row, CardView(
                id_number, row.service_no, row.status, row.issued_on, row.ended_on,
                items.get(id_number, {}), providers.get(id_number, [])))
        return found, items

    def _prefetch_counts(self, ids: list[str], items: dict[str, dict], months: set) -> None:
        """Monthly counts matter only for items granted a number of times a month."""
        limited = sorted(i for i in ids if any(t is not None for t in items.get(i, {}).values()))
        if not limited:
            return
        counts = {(r.id_number, r.service_item, r.month): r.n for r in self.session.execute(
            sa.select(records.c.id_number, records.c.service_item, records.c.month,
                      sa.func.count().label("n"))
            .where(self._any(records.c.id_number, limited),
                   self._any(records.c.month, sorted(months)),
                   records.c.status != "superseded", records.c.entry_kind != "reversal",
                   records.c.corrected_by_record.is_(None))
            .group_by(records.c.id_number, records.c.service_item, records.c.month))}
        for id_number in limited:
            for code, times in items[id_number].items():
                for month in months:
                    if times is not None:
                        self.used[(id_number, code, month)] = counts.get(
                            (id_number, code, month), 0)

    def _prefetch_closes(self, found: dict, months: set) -> None:
        for unit in sorted({("township", (row.division_code or "")[:9])
                            for row in found.values()}):
            lock_unit(self.session, *unit)
            self.units.add(unit)
        for r in self.session.execute(sa.select(month_closes.c.unit_kind, month_closes.c.unit_code,
                                                month_closes.c.month)
                                      .where(self._any(month_closes.c.month, sorted(months)))):
            self.closed[(r.unit_kind, r.unit_code, r.month)] = True
        for unit in self.units:
            for month in months:
                self.closed.setdefault((*unit, month), False)

    def _prefetch_busy(self, workers: dict) -> None:
        """The workers' other records around the batch's span (overlaps)."""
        self.lock_workers(workers)
        lo = min(v[0] for v in workers.values())
        hi = max(v[1] for v in workers.values())
        for key in workers:
            self.busy.setdefault(key, [])
        self.prefetched.update(workers)
        for r in self.session.execute(_busy_query(self.session), {
                "keys": sorted(workers), "lo": lo, "hi": hi, "from": lo - MAX_RECORD_SPAN}):
            self.busy[r.worker_key].append((r.started_at, r.ended_at, r.record_id))


@built_once
def _busy_query(dialect: str):
    """The live records of the workers ``:keys`` that may overlap ``[:lo, :hi)``.
    On PostgreSQL one index scan per worker (``LATERAL`` over the array): as a
    join of the array, the plan prepared while the table was small kept
    filtering every record of the span against every key — 14 ms a batch at
    60,000 records instead of 3."""
    f = records.c
    columns = (f.worker_key, f.started_at, f.ended_at, f.record_id)
    live = (f.status != "superseded", f.entry_kind != "reversal",
            f.corrected_by_record.is_(None), f.started_at < sa.bindparam("hi"),
            f.started_at > sa.bindparam("from"), f.ended_at > sa.bindparam("lo"))
    if dialect != "postgresql":
        return sa.select(*columns).where(any_of_param(dialect, f.worker_key, "keys"), *live)
    keys = (sa.func.unnest(sa.bindparam("keys", type_=ARRAY(sa.String)))
            .table_valued("key").render_derived())
    # OFFSET 0: the subquery stays one (not flattened into a join the planner
    # may turn into a scan of the whole span)
    busy = (sa.select(*columns).where(f.worker_key == keys.c.key, *live)
            .offset(sa.literal_column("0")).lateral("busy"))
    return sa.select(busy).select_from(keys.join(busy, sa.true()))


def _prepare(uow, now: datetime, payload: Any, ctx: RecordingContext, *, correcting=None,
             settle_month: str | None = None) -> tuple[dict, dict]:
    """Every check of one record; returns the row and the ``service.recorded`` data."""
    parsed = ctx.parsed.get(id(payload))
    payload = record_rules.check_is_record(payload)
    id_number = ctx.id_number(payload.get("id_number"))
    item = payload["service_item"]
    provider = parsed[1] if parsed else parse_provider(payload.get("provider"),
                                                       check_id=ctx.id_number)
    record_rules.check_not_self(provider, id_number)
    times = parsed[0] if parsed else service_times(payload.get("started_at"),
                                                   payload.get("ended_at"))
    recorded_by = require_text(payload.get("recorded_by"), "recorded_by", 100)
    place = optional_text(payload.get("place"), "place", 200)
    notes = optional_text(payload.get("notes"), "notes", 1000)
    evidence = optional_text(payload.get("evidence_ref"), "evidence_ref", 256)
    worker = payload.get("worker_id_number")
    worker = ctx.id_number(worker) if worker is not None else None

    row, card = ctx.card(id_number)
    check_against_card(card, id_number=id_number, item=item, provider=provider, times=times,
                       now=now, date_of_death=ctx.death(id_number))
    j = policy.require_jurisdiction(row.jurisdiction)
    spec = catalogue.item_of(j, item)
    quantity = quantity_for(spec.unit, times.minutes, payload.get("quantity"))
    price = ctx.price(j.code, item) if spec.paid_per_record else None
    amount = amount_for(spec.paid_per_record, price, quantity)
    unit_kind, unit_code = close_unit(provider.kind, provider.uscc, row.division_code)
    if settle_month is None:
        close_rules.check_recordable(ctx.is_closed(unit_kind, unit_code, times.month),
                                     times.month)
        settle_month = times.month
    exclude = correcting.record_id if correcting is not None else None
    worker_key = provider.key + (f"/{worker}" if worker else "")
    other = ctx.overlapping(worker_key, times.started_at, times.ended_at, exclude)
    if other is not None:
        raise overlap_error(other)
    if card.items.get(item) is not None:
        check_frequency(card, item, ctx.used_in_month(id_number, item, times.month, exclude))

    record_id = _new_id("SR")
    values = {
        "record_id": record_id, "id_number": id_number, "division_code": row.division_code,
        "card_no": row.service_no, "service_item": item, "unit": spec.unit,
        "provider_kind": provider.kind, "provider_key": provider.key,
        "provider_uscc": provider.uscc, "provider_id_number": provider.id_number,
        "provider_name": optional_text(provider.name, "provider.name", 128)
        or next((p.name for p in card.providers if p.key == provider.key), None),
        "worker_key": worker_key, "worker_id_number": worker,
        "started_at": times.started_at, "ended_at": times.ended_at,
        "served_on": times.served_on, "minutes": times.minutes, "quantity": quantity,
        "unit_price": price, "amount": amount, "place": place, "notes": notes,
        "evidence_ref": evidence, "recorded_by": recorded_by, "recorded_at": now,
        "month": times.month, "unit_kind": unit_kind, "unit_code": unit_code,
        "settle_month": settle_month, "status": "recorded",
        "entry_kind": "correction" if correcting is not None else "original",
        "corrects": exclude, "correction_reason": payload.get("correction_reason"),
        "corrected_by_record": None, "verified_by": None, "verifier_role": None,
        "verified_at": None, "verify_note": None,
    }
    ctx.counted(id_number, item, times.month)
    ctx.occupy(worker_key, times.started_at, times.ended_at, record_id)
    event = {"record_id": record_id, "id_number": id_number,
             "division_code": row.division_code, "service_item": item,
             "served_on": times.served_on, "minutes": times.minutes,
             "provider_kind": provider.kind, "provider_uscc": provider.uscc,
             "provider_id_number": provider.id_number, "card_no": row.service_no,
             "quantity": quantity, "amount": amount, "corrects": exclude}
    return values, event


def _store(uow, prepared: list[tuple[dict, dict]]) -> None:
    if len(prepared) == 1:
        uow.session.execute(sa.insert(records), prepared[0][0])
    else:   # an upload: COPY on PostgreSQL
        bulk_insert(uow.session, records, [values for values, _ in prepared])
    events = [("service.recorded", event, event["division_code"], event["id_number"])
              for _, event in prepared]
    add_many = getattr(uow.outbox, "add_many", None)
    if add_many is not None:
        add_many(events)
    else:   # pragma: no cover - older doudi-common
        for event_type, data, division, key in events:
            uow.outbox.add(event_type, data, division_code=division, key=key)


def record_service(uow, now: datetime, payload: dict, ctx: RecordingContext | None = None, *,
                   correcting=None, settle_month: str | None = None) -> dict:
    """Validate one record against the card and store it (status ``recorded``)."""
    ctx = ctx or RecordingContext(uow.session)
    prepared = _prepare(uow, now, payload, ctx, correcting=correcting,
                        settle_month=settle_month)
    _store(uow, [prepared])
    return prepared[0]


def record_services(uow, now, payloads: Any) -> dict:
    """A provider's upload: every record checked (against the cards, the database
    and each other), then all stored in one go — or none, with the index and
    reason of the first refusal."""
    payloads = record_rules.check_batch(payloads)
    ctx = RecordingContext(uow.session)
    ctx.prefetch([p for p in payloads if isinstance(p, dict)])
    prepared = []
    for index, payload in enumerate(payloads):
        try:
            prepared.append(_prepare(uow, now, payload, ctx))
        except (Invalid, Conflict) as exc:
            exc.fields["index"] = index
            raise
    _store(uow, prepared)
    return {"recorded": len(prepared), "record_ids": [v["record_id"] for v, _ in prepared]}
