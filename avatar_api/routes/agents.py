"""Agents: list, register, read, edit/rename, delete, and their activity."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from avatar_core.foundation.errors import BadRequest

from ..bodies import read_form
from ..deps import Admin, Editor, ServiceDep
from ..schemas import ActivityIn, AgentIn, AgentPatch, activity_json, agent_json, import_json

router = APIRouter(tags=["agents"])


@router.get("/agents")
def list_agents(service: ServiceDep) -> list[dict[str, Any]]:
    return [agent_json(a) for a in service.list_agents()]


@router.post("/agents", status_code=201)
def register_agent(body: AgentIn, service: ServiceDep, _role: Editor) -> dict[str, Any]:
    return agent_json(service.register_agent(**body.model_dump()))


_IMPORT_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {
    "schema": {"type": "object", "required": ["file"],
               "properties": {"file": {"type": "string", "format": "binary",
                                       "description": "agents.csv, agents.json or a .zip of "
                                                      "one with <name>.png|jpg|webp"}}}}}}}


@router.post("/agents/import", openapi_extra=_IMPORT_BODY)
async def import_agents(request: Request, service: ServiceDep, _role: Admin) -> dict[str, Any]:
    """Register many agents (and their pictures, from a zip); each refused row says why."""
    form = await read_form(request, file_field="file")
    if form.file is None:
        raise BadRequest("Send the agents file as the multipart file field 'file'")
    result = await run_in_threadpool(service.import_agents, form.filename, form.file)
    return import_json(result)


@router.get("/agents/{name}")
def get_agent(name: str, service: ServiceDep) -> dict[str, Any]:
    return agent_json(service.get_agent(name))


@router.patch("/agents/{name}")
def patch_agent(name: str, body: AgentPatch, service: ServiceDep,
                _role: Editor) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    new_name = changes.pop("name", None)
    return agent_json(service.update_agent(name, new_name=new_name, **changes))


@router.delete("/agents/{name}")
def delete_agent(name: str, service: ServiceDep, _role: Editor) -> dict[str, Any]:
    service.delete_agent(name)
    return {"deleted": name}


@router.delete("/agents/{name}/activities")
def delete_activities(name: str, service: ServiceDep, _role: Editor,
                      before: datetime | None = None) -> dict[str, Any]:
    """Remove the agent's activities, or only those started before ``before``."""
    return {"agent_name": name, "deleted": service.delete_activities(name, before)}


@router.post("/agents/{name}/activities", status_code=201)
def add_activity(name: str, body: ActivityIn, service: ServiceDep,
                 _role: Editor) -> dict[str, Any]:
    return activity_json(service.record_activity(name, **body.model_dump()))
