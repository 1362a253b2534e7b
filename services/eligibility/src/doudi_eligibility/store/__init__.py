"""Storage for eligibility, one module per aggregate: ``persons`` (persons,
their facts, facts parked for people not registered yet), ``decisions`` (the
stored decision, evaluation with its cache, bulk re-decision), ``applications``
(applications, their steps, the public notice), ``enrolments`` (enrolments and
their history, the calendar's queries) and ``ingest`` (certificates of new
people in bulk).

Persistence only: each function takes the unit of work's session (or a read
connection) and commits nothing; the rules are in ``doudi_eligibility.domain``.
"""

from doudi_eligibility.store.decisions import evaluation, redecide_persons

__all__ = ["evaluation", "redecide_persons"]
