"""division_tallies kept per statement on PostgreSQL: the triggers of 0007 ran
for every row, so a batch of 50 new persons in one village upserted the same
tally row 100 times in one transaction (a new row version each time); these
read the statement's transition tables and upsert each division once. A batch
inserted in one statement (``doudi_common.queries.insert_rows``) costs one upsert per division.
The tallies stay what they were (the trigger function is run for the rows of a
statement at its end either way). SQLite keeps its row triggers.

Revision ID: 0008
Revises: 0007
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# a tally change per division from the rows of a statement: ``rows`` yields
# (division_code, registered, eligible) deltas, summed and upserted once each,
# in the divisions' order — two replicas' batches touching the same villages
# lock their tally rows in the same order, so they queue instead of deadlocking
_UPSERT = """
    INSERT INTO division_tallies (division_code, registered, eligible)
    SELECT code, sum(r), sum(e) FROM ({rows}) AS d (code, r, e)
    GROUP BY code HAVING sum(r) <> 0 OR sum(e) <> 0 ORDER BY code
    ON CONFLICT (division_code) DO UPDATE
    SET registered = division_tallies.registered + EXCLUDED.registered,
        eligible = division_tallies.eligible + EXCLUDED.eligible;
"""
# a person row counts where it lives while alive, eligible as its decision says
_PERSON_ROWS = ("SELECT p.division_code, {sign}1, {sign}(CASE WHEN d.eligible THEN 1 ELSE 0 END) "
                "FROM {table} p LEFT JOIN decisions d ON d.id_number = p.id_number "
                "WHERE p.deceased_on IS NULL")
# a decision row counts for its living person's division when eligible
_DECISION_ROWS = ("SELECT p.division_code, 0, {sign}1 FROM {table} d "
                  "JOIN persons p ON p.id_number = d.id_number "
                  "WHERE d.eligible AND p.deceased_on IS NULL")


def _function(name: str, rows: str) -> str:
    return (f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN "
            f"{_UPSERT.format(rows=rows)} RETURN NULL; END $$ LANGUAGE plpgsql")


_NEW_PERSONS = _PERSON_ROWS.format(sign="", table="new_rows")
_OLD_PERSONS = _PERSON_ROWS.format(sign="-", table="old_rows")
_NEW_DECISIONS = _DECISION_ROWS.format(sign="", table="new_rows")
_OLD_DECISIONS = _DECISION_ROWS.format(sign="-", table="old_rows")

FUNCTIONS = {
    "tally_persons_inserted": _NEW_PERSONS,
    "tally_persons_updated": f"{_OLD_PERSONS} UNION ALL {_NEW_PERSONS}",
    "tally_persons_deleted": _OLD_PERSONS,
    "tally_decisions_inserted": _NEW_DECISIONS,
    "tally_decisions_updated": f"{_OLD_DECISIONS} UNION ALL {_NEW_DECISIONS}",
    "tally_decisions_deleted": _OLD_DECISIONS,
}
# (trigger and function, table, event, transition tables)
TRIGGERS = [
    ("tally_persons_inserted", "persons", "INSERT", "NEW TABLE AS new_rows"),
    ("tally_persons_updated", "persons", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ("tally_persons_deleted", "persons", "DELETE", "OLD TABLE AS old_rows"),
    ("tally_decisions_inserted", "decisions", "INSERT", "NEW TABLE AS new_rows"),
    ("tally_decisions_updated", "decisions", "UPDATE",
     "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ("tally_decisions_deleted", "decisions", "DELETE", "OLD TABLE AS old_rows"),
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS tally_decisions ON decisions")
    op.execute("DROP TRIGGER IF EXISTS tally_persons ON persons")
    for name, rows in FUNCTIONS.items():
        op.execute(_function(name, rows))
    for name, table, event, transition in TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} "
                   f"REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION {name}()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, _event, _transition in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for name in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.execute("CREATE TRIGGER tally_persons AFTER INSERT OR DELETE OR UPDATE OF deceased_on, "
               "division_code ON persons FOR EACH ROW EXECUTE FUNCTION tally_persons()")
    op.execute("CREATE TRIGGER tally_decisions AFTER INSERT OR DELETE OR UPDATE OF eligible "
               "ON decisions FOR EACH ROW EXECUTE FUNCTION tally_decisions()")
