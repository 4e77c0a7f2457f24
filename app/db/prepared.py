"""Hot-path statements: compiled once per dialect by SQLAlchemy, run on the DBAPI cursor.

Executing a Core statement through a ``Connection`` costs about 80 µs of Python per call
(cache key, execution context, result wrapping), against about 10 µs for the same indexed
query on the driver. The few statements that every event or timeline read runs are therefore
compiled once for the connection's dialect; values are converted with the column types' own
bind and result processors, so the SQL and the conversions remain SQLAlchemy's. One exception:
SQLite's date and time binds, which SQLAlchemy formats with ``%`` and a dict of fields (about
1.7 µs a datetime and 1 µs a date here, several values per event), are written by ``isoformat``
instead, in the very same text, in half and a quarter of that (``sqlite_date_text``). They run
on the same DBAPI connection, inside whatever transaction the ``Connection`` holds.

Statements over a list of values come in shapes, each compiled once: ``Sized`` pads an ``IN``
list to the next power of two, ``InsertMany`` inserts many rows with one multi-row ``VALUES``
and reads the new keys back with ``RETURNING`` when asked (a write group's
events in one statement, a late event's verdict changes in a few).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, bindparam, insert
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    positional: bool
    binds: tuple[tuple[str, Processor], ...]
    results: tuple[tuple[int, Processor], ...]
    """(column position, processor) of the result columns that have one; rows are returned as the
    driver gives them when none has."""
    slots: tuple[tuple[str, Processor | None], ...]
    """Each parameter's name and converter (``None``: none), in the order of ``names``."""

    def params(self, values: Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
        if self.positional:  # one pass over the parameters, no copy of ``values``
            return [values[name] if process is None else process(values[name]) for name, process in self.slots]
        if self.binds:
            values = dict(values)
            for name, process in self.binds:
                values[name] = process(values[name])
        return values

    def params_many(self, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """``params`` of each of ``rows``, a value repeated from row to row converted once."""
        if not self.positional:
            return [self.params(values) for values in rows]
        repeats = _Repeats()
        return [
            [
                values[name] if process is None else repeats.convert(name, process, values[name])
                for name, process in self.slots
            ]
            for values in rows
        ]

    def row(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        values = list(raw)
        for index, process in self.results:
            if values[index] is not None:
                values[index] = process(values[index])
        return tuple(values)


class Prepared:
    """One Core statement, compiled lazily for each dialect it meets."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled:
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            compiled = self._by_dialect[dialect.name] = _compile(self.statement, dialect)
        return compiled

    def rows(self, conn: Connection, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        compiled = self._compiled(conn.dialect)
        params = compiled.params(values)
        raw = _run(conn, compiled.sql, params, many=False)
        return [compiled.row(r) for r in raw] if compiled.results else raw

    def execute_many(self, conn: Connection, values: Sequence[Mapping[str, Any]]) -> None:
        if not values:
            return
        compiled = self._compiled(conn.dialect)
        _run(conn, compiled.sql, compiled.params_many(values), many=True)


class _Repeats:
    """Bind conversions over one statement's rows, remembering the last value of each parameter:
    many rows often carry the same value (a write's commit time, a component's dates), and a
    driver-side converter (SQLite's for dates and times formats in Python) then runs once.

    A value counts as repeated when it is the same object, or an equal ``date`` (equal dates
    convert alike; equal datetimes may not, in other time zones)."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: dict[str, tuple[Any, Any]] = {}

    def convert(self, name: str, process: Processor, value: Any) -> Any:
        last = self._last.get(name)
        if last is not None and (
            last[0] is value or (type(value) is date and type(last[0]) is date and last[0] == value)
        ):
            return last[1]
        converted = process(value)
        self._last[name] = (value, converted)
        return converted


class Sized:
    """A statement over a list of values (an ``IN`` list), ``Prepared`` once for each power-of-two
    length up to ``most``: ``build(n)`` makes it for ``n`` values, and a list is padded to the
    next length (``covering``), so a few compiled shapes serve every length."""

    def __init__(self, build: Callable[[int], ClauseElement], *, most: int = 256) -> None:
        self._build, self.most = build, most
        self._by_size: dict[int, Prepared] = {}

    def covering(self, count: int) -> tuple[int, Prepared]:
        """The smallest shape that takes ``count`` values (1 ≤ count ≤ ``most``), and its length."""
        size = 1 << (count - 1).bit_length()
        prepared = self._by_size.get(size)
        if prepared is None:
            prepared = self._by_size[size] = Prepared(self._build(size))
        return size, prepared


class _ManyRows:
    """A statement over ``size`` rows of values whose parameters are named ``{key}_{row}``, ``most``
    rows a statement at most, each shape (count of rows) compiled once per dialect when first
    needed: one statement for many rows instead of a round trip each, the values laid out and
    converted in one pass, as ``executemany`` would."""

    def __init__(self, keys: Sequence[str], *, most: int) -> None:
        self._keys, self.most = tuple(keys), most
        self._shapes: dict[tuple[str, int], tuple[_Compiled, tuple[tuple[int, str, Processor | None], ...]]] = {}

    def _statement(self, size: int) -> ClauseElement:
        raise NotImplementedError

    def _execute(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        returned: list[tuple[Any, ...]] = []
        repeats = _Repeats()
        for start in range(0, len(rows), self.most):
            piece = rows[start : start + self.most]
            compiled, slots = self._shape(conn.dialect, len(piece))
            values = []
            for index, key, process in slots:
                value = piece[index][key]
                values.append(value if process is None or value is None else repeats.convert(key, process, value))
            params = values if compiled.positional else dict(zip(compiled.names, values, strict=True))
            returned += _run(conn, compiled.sql, params, many=False)
        return returned

    def _shape(self, dialect: Dialect, size: int) -> tuple[_Compiled, tuple[tuple[int, str, Processor | None], ...]]:
        """The statement for ``size`` rows, and for each of its parameters in order: (row, key, converter)."""
        shape = self._shapes.get((dialect.name, size))
        if shape is None:
            compiled = _compile(self._statement(size), dialect)
            processors = dict(compiled.binds)
            slots = []
            for name in compiled.names:
                key, _, index = name.rpartition("_")
                slots.append((int(index), key, processors.get(name)))
            shape = self._shapes[(dialect.name, size)] = (compiled, tuple(slots))
        return shape


class InsertMany(_ManyRows):
    """``INSERT ... VALUES (...), (...) ...``, with ``RETURNING`` when ``returning`` names columns:
    rows inserted in their order, and the new keys back, which ``executemany`` cannot give."""

    def __init__(
        self, table: Table, keys: Sequence[str], returning: Sequence[ColumnElement[Any]] = (), *, most: int = 64
    ) -> None:
        super().__init__(keys, most=most)
        self._table, self._returning = table, tuple(returning)

    def _statement(self, size: int) -> ClauseElement:
        columns = self._table.c
        rows = [{key: bindparam(f"{key}_{i}", type_=columns[key].type) for key in self._keys} for i in range(size)]
        statement = insert(self._table).values(rows)
        return statement.returning(*self._returning) if self._returning else statement

    def rows(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        """Insert ``rows`` (mappings holding every key); what RETURNING gave, in no promised order."""
        return self._execute(conn, rows)


def _run(conn: Connection, sql: str, params: Any, *, many: bool) -> list[tuple[Any, ...]]:
    """Run on a driver cursor (``executemany`` if ``many``); the rows fetched, if any. Driver
    errors come out as SQLAlchemy's, as on the ``Connection`` path.

    Services and the writer catch ``sqlalchemy.exc`` types and rely on
    ``connection_invalidated``; a raw driver error would slip past them. A lost connection is
    invalidated here exactly as SQLAlchemy does it, so the next checkout reconnects. (Plain
    try blocks, not a context manager: this runs several times per request.)"""
    dbapi = conn.dialect.loaded_dbapi
    cursor = None
    try:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        if many:
            cursor.executemany(sql, params)
            return []
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description is not None else []  # an INSERT without RETURNING has none
    except dbapi.Error as exc:
        lost = conn.dialect.is_disconnect(exc, conn.connection.dbapi_connection, cursor)
        if lost:
            conn.invalidate(exc)
        raise DBAPIError.instance(
            sql, params, exc, dbapi.Error, connection_invalidated=lost, dialect=conn.dialect
        ) from exc
    finally:
        if cursor is not None:
            _close(cursor)


def _close(cursor: Any) -> None:
    try:  # noqa: SIM105 (contextlib.suppress costs three calls more, and this runs for every statement)
        cursor.close()
    except Exception:  # noqa: S110 (a cursor that cannot close holds nothing we need)
        pass


def _compile(statement: ClauseElement, dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.binds)
    binds = []
    for name, bind in compiled.binds.items():
        impl = bind.type.dialect_impl(dialect)
        process = impl.bind_processor(dialect)
        if process is not None:
            binds.append((name, sqlite_date_text(impl, process)))
    # A SELECT's columns, or what an INSERT/UPDATE ... RETURNING returns.
    columns = getattr(statement, "selected_columns", None) or getattr(statement, "exported_columns", None) or ()
    processors = (column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns)
    results = tuple((index, process) for index, process in enumerate(processors) if process is not None)
    converters = dict(binds)
    slots = tuple((name, converters.get(name)) for name in names)
    return _Compiled(compiled.string, names, compiled.positional, tuple(binds), results, slots)


# SQLAlchemy's default SQLite storage formats, which ``isoformat`` writes alike.
_SQLITE_DATETIME = "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"
_SQLITE_DATE = "%(year)04d-%(month)02d-%(day)02d"


def sqlite_date_text(impl: Any, process: Processor) -> Processor:
    """``process``, or for SQLite's DATETIME and DATE in their default storage format an
    equivalent that formats a naive datetime or a date with ``isoformat`` (the same text, two
    and four times faster); anything else still goes to ``process``."""
    storage = getattr(impl, "_storage_format", None)
    if isinstance(impl, sqlite.DATETIME) and storage == _SQLITE_DATETIME:

        def datetime_text(value: Any) -> Any:
            if type(value) is datetime and value.tzinfo is None:
                return value.isoformat(" ", "microseconds")
            return process(value)

        return datetime_text
    if isinstance(impl, sqlite.DATE) and storage == _SQLITE_DATE:

        def date_text(value: Any) -> Any:
            return value.isoformat() if type(value) is date else process(value)

        return date_text
    return process
