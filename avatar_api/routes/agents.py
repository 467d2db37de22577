"""Agents: list, register, read, edit/rename, delete, and their activity."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from avatar_core import BadRequest

from ..bodies import read_form
from ..deps import Admin, AgentName, Editor, ServiceDep
from ..error_statuses import errors
from ..inputs import ActivityIn, AgentIn, AgentPatch, IsoDateTime
from ..models import ActivitiesDeletedOut, ActivityOut, AgentDeletedOut, AgentOut, ImportOut

router = APIRouter(tags=["agents"])


@router.get("/agents", response_model=list[AgentOut], responses=errors())
def list_agents(service: ServiceDep) -> list[AgentOut]:
    return [AgentOut.of(a) for a in service.agents.list()]


@router.post("/agents", status_code=201, response_model=AgentOut,
             responses=errors(400, 401, 409, 413, 422))
def register_agent(body: AgentIn, service: ServiceDep, _role: Editor) -> AgentOut:
    return AgentOut.of(service.agents.register(**body.model_dump()))


_IMPORT_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {
    "schema": {"type": "object", "required": ["file"],
               "properties": {"file": {"type": "string", "format": "binary",
                                       "description": "agents.csv, agents.json or a .zip of "
                                                      "one with <name>.png|jpg|webp"}}}}}}}


@router.post("/agents/import", openapi_extra=_IMPORT_BODY, response_model=ImportOut,
             responses=errors(400, 401, 403, 413))
async def import_agents(request: Request, service: ServiceDep, _role: Admin) -> ImportOut:
    """Register many agents (and their pictures, from a zip); each refused row says why."""
    form = await read_form(request, file_field="file")
    if form.file is None:
        raise BadRequest("Send the agents file as the multipart file field 'file'")
    result = await run_in_threadpool(service.import_agents, form.filename, form.file)
    return ImportOut.of(result)


@router.get("/agents/{name}", response_model=AgentOut, responses=errors(400, 404, 422))
def get_agent(name: AgentName, service: ServiceDep) -> AgentOut:
    return AgentOut.of(service.agents.get(name))


@router.patch("/agents/{name}", response_model=AgentOut,
              responses=errors(400, 401, 404, 409, 413, 422))
def patch_agent(name: AgentName, body: AgentPatch, service: ServiceDep,
                _role: Editor) -> AgentOut:
    changes = body.model_dump(exclude_unset=True)
    new_name = changes.pop("name", None)
    return AgentOut.of(service.agents.update(name, new_name=new_name, **changes))


@router.delete("/agents/{name}", response_model=AgentDeletedOut,
               responses=errors(400, 401, 404, 413, 422))
def delete_agent(name: AgentName, service: ServiceDep, _role: Editor) -> AgentDeletedOut:
    service.delete_agent(name)
    return AgentDeletedOut(deleted=name)


@router.delete("/agents/{name}/activities", response_model=ActivitiesDeletedOut,
               responses=errors(400, 401, 404, 413, 422))
def delete_activities(name: AgentName, service: ServiceDep, _role: Editor,
                      before: IsoDateTime | None = None) -> ActivitiesDeletedOut:
    """Remove the agent's activities, or only those started before ``before``."""
    return ActivitiesDeletedOut(agent_name=name,
                                deleted=service.delete_activities(name, before))


@router.post("/agents/{name}/activities", status_code=201, response_model=ActivityOut,
             responses=errors(400, 401, 404, 413, 422))
def add_activity(name: AgentName, body: ActivityIn, service: ServiceDep,
                 _role: Editor) -> ActivityOut:
    return ActivityOut.of(service.record_activity(name, **body.model_dump()))
