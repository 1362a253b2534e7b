"""division_tallies: living persons registered and eligible per division code,
kept by triggers on persons and decisions in the writing transaction (every
write path, COPY included), filled from the rows on upgrade

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FILL = """
INSERT INTO division_tallies (division_code, registered, eligible)
SELECT p.division_code, count(*),
       sum(CASE WHEN d.eligible THEN 1 ELSE 0 END)
FROM persons p LEFT JOIN decisions d ON d.id_number = p.id_number
WHERE p.deceased_on IS NULL
GROUP BY p.division_code
"""

# PostgreSQL: one function per table; a row leaves its old division's tally
# (if it was counted) and joins its new one
PG = [
    """
    CREATE FUNCTION tally_add(code varchar, r integer, e integer) RETURNS void AS $$
    BEGIN
      IF r <> 0 OR e <> 0 THEN
        INSERT INTO division_tallies (division_code, registered, eligible)
        VALUES (code, r, e)
        ON CONFLICT (division_code) DO UPDATE
        SET registered = division_tallies.registered + EXCLUDED.registered,
            eligible = division_tallies.eligible + EXCLUDED.eligible;
      END IF;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE FUNCTION tally_persons() RETURNS trigger AS $$
    DECLARE el integer;
    BEGIN
      IF TG_OP <> 'INSERT' AND OLD.deceased_on IS NULL THEN
        SELECT CASE WHEN d.eligible THEN 1 ELSE 0 END INTO el
          FROM decisions d WHERE d.id_number = OLD.id_number;
        PERFORM tally_add(OLD.division_code, -1, -coalesce(el, 0));
      END IF;
      IF TG_OP <> 'DELETE' AND NEW.deceased_on IS NULL THEN
        SELECT CASE WHEN d.eligible THEN 1 ELSE 0 END INTO el
          FROM decisions d WHERE d.id_number = NEW.id_number;
        PERFORM tally_add(NEW.division_code, 1, coalesce(el, 0));
      END IF;
      RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE FUNCTION tally_decisions() RETURNS trigger AS $$
    DECLARE code varchar; e integer := 0;
    BEGIN
      IF TG_OP <> 'INSERT' AND OLD.eligible THEN e := e - 1; END IF;
      IF TG_OP <> 'DELETE' AND NEW.eligible THEN e := e + 1; END IF;
      IF e <> 0 THEN
        SELECT p.division_code INTO code FROM persons p
         WHERE p.id_number = coalesce(NEW.id_number, OLD.id_number)
           AND p.deceased_on IS NULL;
        IF code IS NOT NULL THEN PERFORM tally_add(code, 0, e); END IF;
      END IF;
      RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER tally_persons AFTER INSERT OR DELETE OR UPDATE OF deceased_on, division_code
    ON persons FOR EACH ROW EXECUTE FUNCTION tally_persons()
    """,
    """
    CREATE TRIGGER tally_decisions AFTER INSERT OR DELETE OR UPDATE OF eligible
    ON decisions FOR EACH ROW EXECUTE FUNCTION tally_decisions()
    """,
]
PG_DROP = ["DROP TRIGGER IF EXISTS tally_decisions ON decisions",
           "DROP TRIGGER IF EXISTS tally_persons ON persons",
           "DROP FUNCTION IF EXISTS tally_decisions()", "DROP FUNCTION IF EXISTS tally_persons()",
           "DROP FUNCTION IF EXISTS tally_add(varchar, integer, integer)"]


def _sqlite_add(code: str, registered: str, eligible: str) -> str:
    return (f"INSERT INTO division_tallies (division_code, registered, eligible) "
            f"VALUES ({code}, {registered}, {eligible}) ON CONFLICT (division_code) DO UPDATE "
            f"SET registered = registered + excluded.registered, "
            f"eligible = eligible + excluded.eligible;")


def _eligible_of(ref: str) -> str:
    return (f"coalesce((SELECT CASE WHEN d.eligible THEN 1 ELSE 0 END FROM decisions d "
            f"WHERE d.id_number = {ref}.id_number), 0)")


_PERSON_OF = ("(SELECT p.division_code FROM persons p WHERE p.id_number = {ref}.id_number "
              "AND p.deceased_on IS NULL)")

SQLITE = [
    f"""CREATE TRIGGER tally_persons_insert AFTER INSERT ON persons
        WHEN NEW.deceased_on IS NULL BEGIN
        {_sqlite_add("NEW.division_code", "1", _eligible_of("NEW"))} END""",
    f"""CREATE TRIGGER tally_persons_update_old AFTER UPDATE OF deceased_on, division_code
        ON persons WHEN OLD.deceased_on IS NULL BEGIN
        {_sqlite_add("OLD.division_code", "-1", "-" + _eligible_of("OLD"))} END""",
    f"""CREATE TRIGGER tally_persons_update_new AFTER UPDATE OF deceased_on, division_code
        ON persons WHEN NEW.deceased_on IS NULL BEGIN
        {_sqlite_add("NEW.division_code", "1", _eligible_of("NEW"))} END""",
    f"""CREATE TRIGGER tally_persons_delete AFTER DELETE ON persons
        WHEN OLD.deceased_on IS NULL BEGIN
        {_sqlite_add("OLD.division_code", "-1", "-" + _eligible_of("OLD"))} END""",
    f"""CREATE TRIGGER tally_decisions_insert AFTER INSERT ON decisions
        WHEN NEW.eligible AND {_PERSON_OF.format(ref="NEW")} IS NOT NULL BEGIN
        {_sqlite_add(_PERSON_OF.format(ref="NEW"), "0", "1")} END""",
    f"""CREATE TRIGGER tally_decisions_update AFTER UPDATE OF eligible ON decisions
        WHEN NEW.eligible <> OLD.eligible AND {_PERSON_OF.format(ref="NEW")} IS NOT NULL BEGIN
        {_sqlite_add(_PERSON_OF.format(ref="NEW"), "0",
                     "CASE WHEN NEW.eligible THEN 1 ELSE -1 END")} END""",
    f"""CREATE TRIGGER tally_decisions_delete AFTER DELETE ON decisions
        WHEN OLD.eligible AND {_PERSON_OF.format(ref="OLD")} IS NOT NULL BEGIN
        {_sqlite_add(_PERSON_OF.format(ref="OLD"), "0", "-1")} END""",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {name}" for name in (
    "tally_persons_insert", "tally_persons_update_old", "tally_persons_update_new",
    "tally_persons_delete", "tally_decisions_insert", "tally_decisions_update",
    "tally_decisions_delete")]


def upgrade() -> None:
    op.create_table("division_tallies",
                    sa.Column("division_code", sa.String(12), primary_key=True),
                    sa.Column("registered", sa.Integer, nullable=False),
                    sa.Column("eligible", sa.Integer, nullable=False))
    op.execute(FILL)
    for statement in PG if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    for statement in PG_DROP if op.get_bind().dialect.name == "postgresql" else SQLITE_DROP:
        op.execute(statement)
    op.drop_table("division_tallies")
