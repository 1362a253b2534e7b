"""One column type for moments: timezone-aware on PostgreSQL and on SQLite
(``make run``), where SQLAlchemy would drop the offset. On SQLite a moment is
kept as Asia/Shanghai wall time and read back aware, so a reply never carries a
timestamp without its offset whichever database a service runs on."""

from __future__ import annotations

import sqlalchemy as sa

from doudi_common.dates import SHANGHAI, to_shanghai


class AwareDateTime(sa.TypeDecorator):  # type: ignore[type-arg]
    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and dialect.name == "sqlite":
            value = to_shanghai(value).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=SHANGHAI)
        return value


#: the type of every timestamp column
MOMENT = AwareDateTime()
