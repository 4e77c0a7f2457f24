"""A compatibility shim between schemathesis 4.32 and pytest 9."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _schemathesis_node_id(request: pytest.FixtureRequest) -> None:
    """schemathesis names each operation's subtest by rewriting ``node._nodeid``, an attribute
    pytest 9 replaced; give it one to read (the node's real id is left alone)."""
    request.node._nodeid = request.node.nodeid
