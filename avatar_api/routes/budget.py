"""Spend and the daily budget: the same figures and the same setting as Settings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from avatar_core.foundation.clock import utcnow
from avatar_core.work.budget import Spend, next_midnight

from ..answers import errors
from ..deps import Admin, ServiceDep
from ..responses import SpendOut

router = APIRouter(tags=["budget"])

BUDGET_MAX_USD = 1_000_000


class BudgetIn(BaseModel):
    """``daily_budget_usd``: the budget to save; null clears it back to the environment's."""

    model_config = ConfigDict(extra="forbid")

    daily_budget_usd: float | None = Field(ge=0, le=BUDGET_MAX_USD, allow_inf_nan=False,
                                           strict=True)  # no "5" or true for a number


def spend_json(spend: Spend) -> dict[str, Any]:
    return {
        "today_usd": round(spend.spent_today, 6),
        "today_by_kind": spend.today,
        "last_30_days_by_kind": spend.last_30_days,
        "days": [{"day": day.isoformat(), "by_kind": by_kind,
                  "total_usd": round(sum(by_kind.values()), 6)} for day, by_kind in spend.days],
        "daily_budget_usd": spend.limit,
        "budget_source": spend.source,
        "environment_budget_usd": spend.environment_limit,
        "remaining_usd": spend.remaining,
        "resets_at": next_midnight(utcnow()).isoformat(),
    }


@router.get("/spend", response_model=SpendOut, responses=errors(401, 403))
def get_spend(service: ServiceDep, _role: Admin) -> dict[str, Any]:
    return spend_json(service.spend())


@router.put("/budget", response_model=SpendOut, responses=errors(400, 401, 403, 413, 422))
def put_budget(body: BudgetIn, service: ServiceDep, _role: Admin) -> dict[str, Any]:
    """Save the daily budget (applies at once, on every replica); null: the environment's."""
    service.set_daily_budget(body.daily_budget_usd)
    return spend_json(service.spend())
