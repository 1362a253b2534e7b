"""The evaluate RPC remembers decisions per facts version (``store.evaluation``):
whatever adds a fact or changes the person — through this service, through
another process writing the same database, or a replica — is seen by the next
evaluate; ``known_at`` and the date are part of what is remembered."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from doudi_common.testing.fixtures import db_engine
from doudi_eligibility.models import person_facts, persons
from doudi_eligibility.testing import DIVISIONS, make_person

PACK = "hangzhou-2024"


def register(rpc, seq: int, hardship=("tekun",), household=None) -> str:
    id_number = make_person(PACK, seq)
    rpc.register_person({
        "id_number": id_number, "name": "张桂兰", "division_code": DIVISIONS[PACK],
        "registration": "rural", "actor": "clerk01", "household": household or {},
        "hardship": [{"status": s, "source": "civil_affairs", "valid_from": "2025-01-01"}
                     for s in hardship]})
    return id_number


def test_a_new_fact_through_the_service_is_seen(eligibility):
    _container, rpc = eligibility
    pid = register(rpc, 61)
    first = rpc.evaluate(pid, "2026-03-10")
    assert first["eligible"] is True
    assert rpc.evaluate(pid, "2026-03-10") == first  # remembered: the same answer
    rpc.end_hardship(pid, "tekun", "2026-03-05", "civil_affairs", "收入超标")
    after = rpc.evaluate(pid, "2026-03-10")
    assert after["eligible"] is False
    assert "hardship_ended" in [f["kind"] for f in after["explanation"]["facts"]]
    assert "hardship_ended" not in [f["kind"] for f in first["explanation"]["facts"]]
    # another date, and what was known before the end was recorded, are their own entries
    assert rpc.evaluate(pid, "2026-03-01")["eligible"] is True
    assert rpc.evaluate(pid, "2026-03-10", "2025-01-01")["eligible"] is False
    assert rpc.evaluate(pid, "2026-03-10", "2099-01-01T00:00:00+08:00")["eligible"] is False


def test_a_fact_written_by_another_process_is_seen(eligibility):
    """Nothing in this process is told: the facts version read with the person
    names the decision."""
    container, rpc = eligibility
    pid = register(rpc, 62)
    assert rpc.evaluate(pid, "2026-03-10")["eligible"] is True
    with db_engine(container).begin() as conn:  # as a replica or a bulk import would
        conn.execute(sa.insert(person_facts).values(
            id_number=pid, kind="hardship_ended", source="civil_affairs",
            valid_from=datetime(2026, 3, 5).date(), recorded_at=datetime.now(UTC),
            payload={"status": "tekun"}))
    assert rpc.evaluate(pid, "2026-03-10")["eligible"] is False


def test_a_changed_person_row_is_seen(eligibility):
    container, rpc = eligibility
    pid = register(rpc, 63)
    before = rpc.evaluate(pid, "2026-03-10")
    assert before["policy_pack"] == PACK
    with db_engine(container).begin() as conn:  # moved to a division without a pack
        conn.execute(sa.update(persons).where(persons.c.id_number == pid).values(
            division_code="110101001001", updated_at=datetime.now(UTC)))
    after = rpc.evaluate(pid, "2026-03-10")
    assert after["policy_pack"] is None and after["eligible"] is False


def test_wrong_arguments_are_still_nameko_incorrect_signature(eligibility):
    """``Rpc.check_signature`` binds to a signature made once; a mismatch is
    still nameko's ``IncorrectSignature`` with its wording."""
    import pytest
    from nameko.exceptions import IncorrectSignature

    _container, rpc = eligibility
    with pytest.raises(IncorrectSignature, match="evaluate"):
        rpc.evaluate()
    with pytest.raises(IncorrectSignature, match="unexpected keyword"):
        rpc.evaluate(make_person(PACK, 64), nonsense=1)


def test_another_database_with_the_same_ids_is_not_confused(make_db):
    """Fact ids restart in every database: the same person, row and facts
    version in two databases (as tests make them) are two different answers."""
    from datetime import date

    from doudi_common.db import DatabaseCore
    from doudi_eligibility import store
    from doudi_eligibility.models import metadata
    from doudi_eligibility.testing import REGISTRY

    pid = make_person(PACK, 64)
    answers = []
    for status in ("tekun", "none"):
        core = DatabaseCore(make_db("doudi_eligibility"), "doudi_eligibility", "eligibility",
                            metadata)
        try:
            now = datetime.now(UTC)
            with core.engine.begin() as conn:
                conn.execute(sa.insert(persons).values(
                    id_number=pid, name="张桂兰", birth_date=date(1952, 3, 14), sex="female",
                    division_code=DIVISIONS[PACK], registration="rural", created_at=now,
                    updated_at=now))
                conn.execute(sa.insert(person_facts).values(
                    id_number=pid, kind="hardship", source="civil_affairs",
                    valid_from=date(2025, 1, 1), recorded_at=now, payload={"status": status}))
            with core.unit_of_work() as uow, uow.reading() as conn:
                answers.append(store.evaluation(conn, REGISTRY, pid, date(2026, 3, 10))["eligible"])
        finally:
            core.dispose()
    assert answers == [True, False]
