"""Spend and the daily budget: the same figures and the same setting as Settings."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from ..deps import Admin, ServiceDep
from ..error_statuses import errors
from ..models import SpendOut

router = APIRouter(tags=["budget"])

BUDGET_MAX_USD = 1_000_000


class BudgetIn(BaseModel):
    """``daily_budget_usd``: the budget to save; null clears it back to the environment's."""

    model_config = ConfigDict(extra="forbid")

    daily_budget_usd: float | None = Field(ge=0, le=BUDGET_MAX_USD, allow_inf_nan=False,
                                           strict=True)  # no "5" or true for a number


@router.get("/spend", response_model=SpendOut, responses=errors(401, 403))
def get_spend(service: ServiceDep, _role: Admin) -> SpendOut:
    return SpendOut.of(service.budget.summary())


@router.put("/budget", response_model=SpendOut, responses=errors(400, 401, 403, 413, 422))
def put_budget(body: BudgetIn, service: ServiceDep, _role: Admin) -> SpendOut:
    """Save the daily budget (applies at once, on every replica); null: the environment's."""
    service.set_daily_budget(body.daily_budget_usd)
    return SpendOut.of(service.budget.summary())
