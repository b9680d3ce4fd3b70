"""Column types that behave the same on SQLite and PostgreSQL.

SQLite has no time zones: it stores whatever text it is given and hands back naive datetimes.
:class:`UtcDateTime` stores every instant as UTC and always returns an aware UTC datetime, so
code never compares naive with aware values and SQLite's text ordering equals time ordering.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, types
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect

#: JSON everywhere, JSONB on PostgreSQL (indexable, compact, compared by value).
Json = JSON().with_variant(postgresql.JSONB(), "postgresql")

#: 64-bit ids on PostgreSQL; on SQLite an ``INTEGER PRIMARY KEY`` (the rowid) is what autoincrements.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(types.TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that refuses naive input and always returns aware UTC values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: nsaas stores only timezone-aware instants")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
