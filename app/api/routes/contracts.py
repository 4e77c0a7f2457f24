"""Contracts: POST /contract/, GET and DELETE /contract/{number}."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from fastapi import APIRouter, FastAPI, Request

from app.api.correction_schemas import ContractAmend
from app.api.deps import RuntimeDep
from app.api.responses import INVALID_PAYLOAD, error_examples
from app.api.schemas import ContractCreate, ContractNumber, ContractRead, Envelope
from app.domain.ordering import to_utc
from app.services import contracts

router = APIRouter(prefix="/contract", tags=["contracts"])
NOT_FOUND = (404, "error", "contract_not_found", "Contract 9999 not found.")
# First path segments that upcoming features will take (change feed, webhooks, console), and the
# plural of /contract that clients guess.
FUTURE_SEGMENTS = frozenset({"changes", "webhooks", "ui", "static", "contracts"})


def reserved_numbers(app: FastAPI) -> frozenset[str]:
    """The first segment of every fixed path, documented (``/events``) or not (``/docs``, ``/metrics``),
    plus the future ones. Included routers do not list their routes, so the schema's paths stand in."""
    paths = [*app.openapi().get("paths", {}), *(str(getattr(route, "path", "")) for route in app.routes)]
    firsts = (path.lstrip("/").split("/", 1)[0] for path in paths)
    return frozenset(first.casefold() for first in firsts if first and not first.startswith("{")) | FUTURE_SEGMENTS


@router.post(
    "/",
    status_code=201,
    response_model=ContractRead,
    summary="Create a contract",
    responses=error_examples(
        (409, "error", "contract_exists", "Contract 1234 already exists."),
        (422, "error", "invalid_components", "Unsupported component(s): x. ..."),
        (422, "error", "reserved_contract_number", "Contract number 'events' is reserved: ..."),
        INVALID_PAYLOAD,
    ),
)
@router.post("", status_code=201, response_model=ContractRead, include_in_schema=False)
async def create_contract(body: ContractCreate, request: Request, runtime: RuntimeDep) -> ContractRead:
    """A number equal to the first segment of an API path (``events``, ``docs``, ...) is refused."""
    contracts.refuse_reserved_number(body.contract_number, reserved_numbers(request.app))
    created_at = to_utc(body.created_at) if body.created_at else datetime.now(UTC).replace(tzinfo=None)
    work = partial(
        contracts.create_contract,
        engine=runtime.engine,
        number=body.contract_number,
        components=body.components,
        created_at=created_at,
    )
    view = await runtime.writer.run(work)
    return ContractRead(contract_number=view.contract_number, created_at=view.created_at, components=view.components)


@router.get("/{contract_number}", response_model=ContractRead, responses=error_examples(NOT_FOUND))
async def get_contract(contract_number: ContractNumber, runtime: RuntimeDep) -> ContractRead:
    view = await runtime.reader.run(partial(contracts.get_contract, number=contract_number, engine=runtime.engine))
    return ContractRead(contract_number=view.contract_number, created_at=view.created_at, components=view.components)


@router.patch(
    "/{contract_number}",
    response_model=ContractRead,
    summary="Add or remove components",
    responses=error_examples(
        NOT_FOUND,
        (409, "error", "component_exists", "Contract 1234 already holds component battery_optimization."),
        (409, "error", "component_not_held", "Contract 1234 does not hold component heatpump_optimization."),
        (
            409,
            "error",
            "component_has_events",
            "Component energy_supply of contract 1234 has 2 stored event(s) that count. Revoke them first ...",
        ),
        (422, "error", "invalid_components", "Unsupported component(s): x. Supported components: ..."),
        INVALID_PAYLOAD,
    ),
)
async def amend_contract(contract_number: ContractNumber, body: ContractAmend, runtime: RuntimeDep) -> ContractRead:
    """Each addition and removal is recorded with its time, so ``as_known_at`` shows the components
    held then. A component with events that count cannot be removed: revoke them first."""
    work = partial(
        contracts.amend_contract,
        engine=runtime.engine,
        number=contract_number,
        add=body.add_components,
        remove=body.remove_components,
    )
    view = await runtime.writer.run(work, locks=[contract_number])
    return ContractRead(contract_number=view.contract_number, created_at=view.created_at, components=view.components)


@router.delete(
    "/{contract_number}",
    response_model=Envelope,
    responses=error_examples(NOT_FOUND),
    summary="Delete a contract with its events and timeline",
)
async def delete_contract(contract_number: ContractNumber, runtime: RuntimeDep) -> Envelope:
    await runtime.writer.run(partial(contracts.delete_contract, number=contract_number), locks=[contract_number])
    return Envelope(status="ok", message=f"Contract {contract_number} deleted.", code="contract_deleted")
