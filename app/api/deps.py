"""Dependencies that routers declare: the runtime and a read connection."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection

from app.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def read_connection(runtime: RuntimeDep) -> Iterator[Connection]:
    with runtime.engines.reader.connect() as conn:
        yield conn


ReadConn = Annotated[Connection, Depends(read_connection)]
