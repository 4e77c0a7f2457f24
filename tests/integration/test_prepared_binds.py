"""Prepared statements write SQLite dates and times in exactly SQLAlchemy's text, by a faster route."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Date, DateTime, String, TypeDecorator
from sqlalchemy.dialects import sqlite

from app.db.prepared import sqlite_date_text

DIALECT = sqlite.dialect()

DATETIMES: list[Any] = [
    datetime(1, 1, 1),
    datetime(9999, 12, 31, 23, 59, 59, 999999),
    datetime(2024, 3, 1),
    datetime(2024, 3, 1, 12, 5, 7, 120),
    date(2024, 3, 3),  # a date where a time is expected: midnight, as SQLAlchemy writes it
    datetime(2024, 3, 1, 1, 2, 3, tzinfo=UTC),  # aware: SQLAlchemy's processor decides
    datetime(2024, 3, 1, 1, 2, 3, tzinfo=timezone(timedelta(hours=2))),
    None,
]
DATES: list[Any] = [date(1, 1, 1), date(9999, 12, 31), date(2024, 2, 29), datetime(2024, 3, 1, 5, 6), None]


@pytest.mark.parametrize(("column_type", "values"), [(DateTime(), DATETIMES), (Date(), DATES)])
def test_the_text_is_sqlalchemys_for_every_value(column_type: Any, values: list[Any]) -> None:
    impl = column_type.dialect_impl(DIALECT)
    sqlalchemys = impl.bind_processor(DIALECT)
    faster = sqlite_date_text(impl, sqlalchemys)
    assert faster is not sqlalchemys
    for value in values:
        assert faster(value) == sqlalchemys(value), value


def test_other_types_and_storage_formats_keep_sqlalchemys_processor() -> None:
    custom = sqlite.DATETIME(storage_format="%(year)04d/%(month)02d/%(day)02d")  # type: ignore[no-untyped-call]
    for column_type in (custom, String(), _Wrapped()):
        impl = column_type.dialect_impl(DIALECT)
        process = impl.bind_processor(DIALECT) or (lambda value: value)
        assert sqlite_date_text(impl, process) is process


def test_a_value_that_is_neither_still_fails_as_sqlalchemy_fails() -> None:
    impl = DateTime().dialect_impl(DIALECT)
    sqlalchemys = impl.bind_processor(DIALECT)
    assert sqlalchemys is not None
    with pytest.raises(TypeError):
        sqlite_date_text(impl, sqlalchemys)("2024-03-01")


class _Wrapped(TypeDecorator[datetime]):
    impl = DateTime
    cache_ok = True
