"""Simulated department systems: realistic, seed-reproducible event streams.

    sim = Simulator("cdpf", seed=7, jurisdictions=["341502", "341522"])
    for message in sim.messages(1000, bad_share=0.05):
        ...   # message.routing_key, message.body, message.properties, message.expected

The three departments draw on one simulated population per seed and
jurisdictions (``World``), so a seed gives the same people to CDPF, health and
medical insurance: CDPF certifies disabilities and grants subsidies, health
assesses, flags and clears infections, admits and discharges, registers deaths;
medical insurance designates institutions and settles reimbursements.
Everything is contract-true: resident ID numbers of the chosen counties with
correct check digits, certificate numbers = ID number + category + grade,
unified social credit codes with both check characters, 12-digit village
codes, balanced money strings. ``bad_share`` mixes in the documented bad cases
(invalid JSON, unknown type, bad ID checksum, missing field), each tagged with
the dead-letter reason the suite must give it.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from doudi_contracts.fields import CERTIFICATE_CATEGORIES, SHANGHAI
from doudi_contracts.registry import build_envelope
from stdnum.cn import ric, uscc

DEPARTMENTS = ("cdpf", "health", "medical_insurance")
#: 六安市金安区, 霍邱县 (Anhui); 濮阳县 (Henan); 兰州市城关区 (Gansu)
DEFAULT_JURISDICTIONS = ("341502", "341522", "410928", "620102")
BAD_KINDS = ("invalid_json", "unknown_type", "bad_checksum", "missing_field")
EXPECTED_REASON = {"invalid_json": "invalid_json", "unknown_type": "unknown_type",
                   "bad_checksum": "bad_data", "missing_field": "bad_data"}

_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁"
             "谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈")
_GIVEN = "秀英桂兰玉兰凤英淑珍建国建华德明志强金花福生长春海林永红宝山春梅国庆秋菊文华德胜荣华"

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def id_check_digit(first17: str) -> str:
    """GB 11643 (ISO 7064 MOD 11-2) check character (python-stdnum's)."""
    return ric.calc_check_digit(first17 + "0")  # it expects a placeholder check digit


def org_code_check(first8: str) -> str:
    """GB 11714 organisation code check character (digits only here)."""
    c = 11 - sum(int(d) * w for d, w in zip(first8, _ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def uscc_check(first17: str) -> str:
    """GB 32100 check character (python-stdnum's)."""
    return uscc.calc_check_digit(first17)


def make_uscc(rng: random.Random, county: str, kind: str = "12") -> str:
    """``kind``: ``12`` public institution (事业单位, hospitals, public homes),
    ``52`` private non-enterprise unit (民办非企业单位, private care homes)."""
    org8 = f"{rng.randrange(10**8):08d}"
    body = f"{kind}{county}{org8}{org_code_check(org8)}"
    return body + uscc_check(body)


def corrupt_check_digit(id_number: str) -> str:
    """The same ID number with a wrong check character."""
    right = id_number[-1]
    return id_number[:-1] + ("0" if right != "0" else "1")


@dataclass
class Person:
    id_number: str
    name: str
    division_code: str          # 12-digit village of household registration
    birth: date
    certificate: dict | None = None
    subsidies: dict = field(default_factory=dict)   # kind -> (amount, from_month)
    infection: str | None = None
    hospital: str | None = None
    deceased: bool = False


@dataclass
class Institution:
    uscc: str
    county: str
    agreement_no: str | None = None
    valid_from: date | None = None


class World:
    """The simulated population of some counties, deterministic per seed."""

    def __init__(self, seed: int, jurisdictions=DEFAULT_JURISDICTIONS):
        self.rng = random.Random(f"world/{seed}")
        self.jurisdictions = [j[:6] for j in jurisdictions]
        self.persons: list[Person] = []
        self.by_id: dict[str, Person] = {}
        self.hospitals = {c: [make_uscc(self.rng, c, "12") for _ in range(3)]
                          for c in self.jurisdictions}
        self.institutions = [Institution(make_uscc(self.rng, c, self.rng.choice(["12", "52"])), c)
                             for c in self.jurisdictions for _ in range(4)]

    def new_person(self) -> Person:
        rng = self.rng
        while True:
            county = rng.choice(self.jurisdictions)
            birth = date(1935, 1, 1) + timedelta(days=rng.randrange(365 * 40))
            order = rng.randrange(1000)
            first17 = f"{county}{birth:%Y%m%d}{order:03d}"
            id_number = first17 + id_check_digit(first17)
            if id_number not in self.by_id:
                break
        village = f"{county}{rng.randrange(1, 13):03d}{rng.randrange(1, 25):03d}"
        name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice([1,
                                                                                             2])))
        person = Person(id_number, name, village, birth)
        self.persons.append(person)
        self.by_id[id_number] = person
        return person

    def living(self, rng: random.Random, pred=lambda p: True) -> Person | None:
        for _ in range(8):
            if not self.persons:
                return None
            person = rng.choice(self.persons)
            if not person.deceased and pred(person):
                return person
        return None


@dataclass
class SimMessage:
    """One message as a department system would send it."""

    department: str
    routing_key: str
    body: bytes
    message_id: str
    event_type: str
    expected: str | None = None     # dead-letter reason the suite must give, or None
    bad_kind: str | None = None
    envelope: dict | None = None
    corrected: bytes | None = None  # for a bad message: the good body it was bent from

    @property
    def properties(self) -> dict:
        return {"message_id": self.message_id, "type": self.event_type,
                "content_type": "application/json", "delivery_mode": 2}


def _month(d: date) -> str:
    return f"{d:%Y-%m}"


def _years_later(d: date, years: int) -> date:
    """The day before the same date ``years`` later (a certificate's last valid day)."""
    try:
        later = d.replace(year=d.year + years)
    except ValueError:  # 29 February
        later = date(d.year + years, 3, 1)
    return later - timedelta(days=1)


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


class Simulator:
    """A department's event stream. Same ``seed`` + ``jurisdictions`` + call
    sequence = the same messages, byte for byte."""

    def __init__(self, department: str, seed: int = 1, jurisdictions=DEFAULT_JURISDICTIONS,
                 world: World | None = None, start: date = date(2026, 1, 5)):
        if department not in DEPARTMENTS:
            raise ValueError(f"unknown department {department!r}; one of {DEPARTMENTS}")
        self.department = department
        self.seed = seed
        self.world = world or World(seed, jurisdictions)
        self.rng = random.Random(f"{department}/{seed}")
        self.clock = datetime.combine(start, datetime.min.time(), SHANGHAI).replace(hour=8)

    # -- pacing / identities --------------------------------------------------------

    def _tick(self) -> datetime:
        self.clock += timedelta(minutes=self.rng.randrange(1, 90))
        if self.clock.hour >= 18:   # office hours
            self.clock = (self.clock + timedelta(days=1)).replace(hour=8, minute=30)
        return self.clock

    def _event_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    @property
    def today(self) -> date:
        return self.clock.date()

    # -- events -------------------------------------------------------------------

    def next_event(self) -> tuple[str, dict, str]:
        """``(event_type, data, division_code)`` of the next good event."""
        self._tick()
        return getattr(self, f"_{self.department}")()

    def _person_for_new_certificate(self) -> Person:
        candidate = self.world.living(self.rng, lambda p: p.certificate is None)
        if candidate is None or self.rng.random() < 0.5:
            candidate = self.world.new_person()
        return candidate

    def _cdpf(self) -> tuple[str, dict, str]:
        rng, world, today = self.rng, self.world, self.today
        roll = rng.random()
        certified = [p for p in world.persons[-200:] if p.certificate and not p.deceased]
        if roll < 0.55 or not certified:
            person = self._person_for_new_certificate()
            category = rng.choice(list(CERTIFICATE_CATEGORIES))
            grade = rng.choices([1, 2, 3, 4], weights=[2, 3, 3, 2])[0]
            data = self._certificate(person, category, grade, today)
            kind = "certificate.changed" if person.certificate else "certificate.issued"
            person.certificate = data
            return kind, data, person.division_code
        person = rng.choice(certified)
        cert = person.certificate
        if roll < 0.65:                 # re-assessed: a new grade
            grade = max(1, min(4, cert["grade"] + rng.choice([-1, 1])))
            data = self._certificate(person, cert["category"], grade, today)
            person.certificate = data
            return "certificate.changed", data, person.division_code
        if roll < 0.68:
            person.certificate = None
            person.subsidies.clear()
            return "certificate.revoked", {
                "id_number": person.id_number, "certificate_no": cert["certificate_no"],
                "revoked_on": today.isoformat(),
                "reason": rng.choice(["持证人死亡", "残疾状况消失", "户籍迁出", "信息错误更正"])}, \
                person.division_code
        kinds = ["disabled_living_allowance"] + (
            ["severe_disability_nursing_subsidy"] if cert["grade"] <= 2 else [])
        kind = rng.choice(kinds)
        if kind in person.subsidies and rng.random() < 0.4:
            amount, from_month = person.subsidies.pop(kind)
            return "subsidy.stopped", {
                "id_number": person.id_number, "kind": kind, "monthly_amount": amount,
                "from_month": from_month, "to_month": _month(today)}, person.division_code
        amount = {"disabled_living_allowance": rng.choice(["80.00", "90.00", "100.00"]),
                  "severe_disability_nursing_subsidy": rng.choice(["100.00", "120.00"])}[kind]
        person.subsidies[kind] = (amount, _month(today))
        return "subsidy.granted", {"id_number": person.id_number, "kind": kind,
                                   "monthly_amount": amount, "from_month": _month(today)}, \
            person.division_code

    def _certificate(self, person: Person, category: str, grade: int, today: date) -> dict:
        long_term = self.rng.random() < 0.2
        return {"id_number": person.id_number, "name": person.name,
                "certificate_no": f"{person.id_number}{CERTIFICATE_CATEGORIES[category]}{grade}",
                "category": category, "grade": grade, "issued_on": today.isoformat(),
                "valid_until": None if long_term else _years_later(today, 10).isoformat(),
                "division_code": person.division_code}

    def _health(self) -> tuple[str, dict, str]:
        rng, world, today = self.rng, self.world, self.today
        roll = rng.random()
        person = world.living(rng) if world.persons and rng.random() < 0.7 else None
        person = person or world.new_person()
        county = person.id_number[:6] if person.id_number[:6] in world.hospitals \
            else world.jurisdictions[0]
        hospital = rng.choice(world.hospitals[county])
        if roll < 0.45:
            standard, top = rng.choice([("MZ/T 039-2013", 3), ("GB/T 42195-2022", 4),
                                        ("LTC-2021", 5)])
            level = rng.randrange(top + 1)
            incapacity = "none" if level == 0 else ("full" if level >= top - 1 else "partial")
            return "assessment.completed", {
                "id_number": person.id_number,
                "assessment_id": f"PG-{county}-{today.year}-{rng.randrange(10**6):06d}",
                "standard": standard, "level": level, "incapacity_level": incapacity,
                "assessed_on": today.isoformat(),
                "valid_until": (today + timedelta(days=364)).isoformat(),
                "assessor_uscc": hospital}, person.division_code
        if roll < 0.60:
            if person.infection:
                code, person.infection = person.infection, None
                return "infection.cleared", {"id_number": person.id_number, "disease_code": code,
                                             "on": today.isoformat()}, person.division_code
            person.infection = rng.choice(["A15.0", "A16.2", "B18.1", "B20", "A09", "J10.1"])
            return "infection.flagged", {"id_number": person.id_number,
                                         "disease_code": person.infection,
                                         "on": today.isoformat()}, person.division_code
        if roll < 0.95:
            if person.hospital:
                uscc, person.hospital = person.hospital, None
                return "hospital.discharged", {"id_number": person.id_number,
                                               "hospital_uscc": uscc, "on": today.isoformat()}, \
                    person.division_code
            person.hospital = hospital
            return "hospital.admitted", {"id_number": person.id_number, "hospital_uscc": hospital,
                                         "on": today.isoformat()}, person.division_code
        person.deceased = True
        return "person.deceased", {"id_number": person.id_number,
                                   "date_of_death": (today - timedelta(days=rng.randrange(3)))
                                   .isoformat()}, person.division_code

    def _medical_insurance(self) -> tuple[str, dict, str]:
        rng, world, today = self.rng, self.world, self.today
        roll = rng.random()
        if roll < 0.15:
            inst = rng.choice(world.institutions)
            if inst.agreement_no and rng.random() < 0.3:
                data = {"institution_uscc": inst.uscc, "agreement_no": inst.agreement_no,
                        "valid_from": inst.valid_from.isoformat(),
                        "valid_until": max(today, inst.valid_from).isoformat()}
                inst.agreement_no = None
                return "designation.terminated", data, inst.county
            inst.agreement_no = f"YB-{inst.county}-{today.year}-{rng.randrange(1, 1000):03d}"
            inst.valid_from = today
            until = date(today.year + 2, today.month, 1) - timedelta(days=1)
            return "designation.signed", {"institution_uscc": inst.uscc,
                                          "agreement_no": inst.agreement_no,
                                          "valid_from": today.isoformat(),
                                          "valid_until": until.isoformat()}, inst.county
        person = world.living(rng) if world.persons and rng.random() < 0.8 else None
        person = person or world.new_person()
        period = today.replace(day=1) - timedelta(days=1)
        total = Decimal(rng.randrange(5000, 2_000_000)) / 100
        fund = (total * Decimal(rng.choice(["0.55", "0.65", "0.70", "0.75"]))).quantize(
            Decimal("0.01"))
        assistance = ((total - fund) * Decimal(rng.choice(["0.5", "0.7", "0.8"]))).quantize(
            Decimal("0.01"))
        return "reimbursement.settled", {
            "id_number": person.id_number, "period": _month(period), "total": _money(total),
            "fund_paid": _money(fund), "medical_assistance_paid": _money(assistance),
            "self_paid": _money(total - fund - assistance)}, person.division_code

    # -- messages -------------------------------------------------------------------

    def good_message(self) -> SimMessage:
        event_type, data, division = self.next_event()
        envelope = build_envelope(self.department, division, event_type, data,
                                  event_id=self._event_id(), time=self.clock)
        return SimMessage(self.department, event_type,
                          json.dumps(envelope, ensure_ascii=False).encode(), envelope["id"],
                          event_type, envelope=envelope)

    def new_certificate(self) -> SimMessage:
        """``certificate.issued`` for a new person (streams with countable effects:
        one person and one fact each)."""
        self._tick()
        return self.certificate_for(self.world.new_person())

    def certificate_for(self, person: Person) -> SimMessage:
        """``certificate.issued`` for someone of the world (e.g. to make the
        people another department reports on known to the suite first)."""
        category = self.rng.choice(list(CERTIFICATE_CATEGORIES))
        data = self._certificate(person, category, self.rng.randrange(1, 5), self.today)
        person.certificate = data
        envelope = build_envelope("cdpf", person.division_code, "certificate.issued", data,
                                  event_id=self._event_id(), time=self.clock)
        return SimMessage("cdpf", "certificate.issued",
                          json.dumps(envelope, ensure_ascii=False).encode(), envelope["id"],
                          "certificate.issued", envelope=envelope)

    def bad_message(self, kind: str | None = None) -> SimMessage:
        kind = kind or self.rng.choice(BAD_KINDS)
        good = self.good_message()
        good.corrected = good.body
        env = json.loads(good.body)
        if kind == "invalid_json":
            body = good.body[: max(10, len(good.body) // 2)]
        elif kind == "unknown_type":
            env["type"] = env["type"].split(".")[0] + ".misspelt"
            body = json.dumps(env, ensure_ascii=False).encode()
            good.routing_key = good.event_type = env["type"]
        elif kind == "bad_checksum":
            key = next((k for k in ("id_number", "institution_uscc") if k in env["data"]), None)
            if key == "id_number":
                env["data"]["id_number"] = corrupt_check_digit(env["data"]["id_number"])
                if "certificate_no" in env["data"]:
                    env["data"]["certificate_no"] = (env["data"]["id_number"]
                                                     + env["data"]["certificate_no"][18:])
            else:
                code = env["data"][key]
                env["data"][key] = code[:-1] + ("0" if code[-1] != "0" else "1")
            body = json.dumps(env, ensure_ascii=False).encode()
        elif kind == "missing_field":
            env["data"].pop(min(env["data"]))
            body = json.dumps(env, ensure_ascii=False).encode()
        else:
            raise ValueError(f"unknown bad kind {kind!r}; one of {BAD_KINDS}")
        good.body, good.expected, good.bad_kind, good.envelope = body, EXPECTED_REASON[kind], \
            kind, (None if kind == "invalid_json" else env)
        return good

    def messages(self, count: int, bad_share: float = 0.0) -> Iterator[SimMessage]:
        for _ in range(count):
            if bad_share and self.rng.random() < bad_share:
                yield self.bad_message()
            else:
                yield self.good_message()


def interleave(simulators: list[Simulator], count: int, bad_share: float = 0.0,
               seed: int = 1) -> Iterator[SimMessage]:
    """``count`` messages from several departments, mixed reproducibly."""
    rng = random.Random(f"mix/{seed}")
    for _ in range(count):
        sim = rng.choice(simulators)
        yield next(sim.messages(1, bad_share))


def run(messages: Iterator[SimMessage], clients: dict, rate: float | None = None,
        on_sent=None) -> int:
    """Publish ``messages`` through ``clients[department]`` (``DepartmentClient``)
    at ``rate`` messages per second (None: as fast as confirms allow)."""
    if not rate and on_sent is None:
        # as fast as possible: batches with one confirm wait each, per department
        sent = 0
        batch: list[SimMessage] = []
        for message in messages:
            batch.append(message)
            if len(batch) >= 500:
                sent += _flush(batch, clients)
        return sent + _flush(batch, clients)
    sent = 0
    started = time.monotonic()
    for message in messages:
        if rate:
            delay = started + sent / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        clients[message.department].publish_raw(message.body, routing_key=message.routing_key,
                                                message_id=message.message_id,
                                                type=message.event_type)
        sent += 1
        if on_sent is not None:
            on_sent(message)
    return sent


def listen(client, handler, *, queue_name: str = "sim", **subscribe_options) -> int:
    """A simulated department consuming what DESIGN says it follows
    (``client.SUBSCRIPTIONS``): one durable queue per source exchange
    (``<department>.<source>.sim``), each drained in turn with
    ``subscribe_options`` (e.g. ``idle_timeout``); returns how many were handled."""
    from doudi_departments.client import SUBSCRIPTIONS

    handled = 0
    for source, patterns in SUBSCRIPTIONS[client.department].items():
        handled += client.subscribe(source, patterns,
                                    lambda event, message, s=source: handler(s, event),
                                    queue_name=queue_name, **subscribe_options)
    return handled


def _flush(batch: list[SimMessage], clients: dict) -> int:
    by_department: dict[str, list[SimMessage]] = {}
    for message in batch:
        by_department.setdefault(message.department, []).append(message)
    for department, messages in by_department.items():
        clients[department].publish_many(messages)
    batch.clear()
    return sum(len(m) for m in by_department.values())


def simulators(departments, seed: int, jurisdictions) -> list[Simulator]:
    world = World(seed, jurisdictions)
    return [Simulator(d, seed, world=world) for d in departments]


__all__: list[Any] = ["BAD_KINDS", "DEPARTMENTS", "SimMessage", "Simulator", "World",
                      "interleave", "make_uscc", "run", "simulators"]
