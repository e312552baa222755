"""What incentives contribute to the staff overview page: this quarter's MDF and rebate money,
and what waits for a decision."""

from __future__ import annotations

from typing import Any

from prm.access import TenantRequest
from prm.overview import OverviewWidget, register_widget

from . import queries, services
from .models import Claim, FundRequest


def _widget(request: TenantRequest) -> dict[str, Any]:
    access = request.access
    period = services.current_quarter(request.tenant)
    return {
        "period": period,
        "report": queries.liability(access, period),
        "waiting_requests": queries.fund_requests(access).filter(status=FundRequest.Status.SUBMITTED).count(),
        "waiting_claims": queries.claims(access).filter(status=Claim.Status.SUBMITTED).count(),
    }


def register() -> None:
    register_widget(
        OverviewWidget(key="incentives", template="incentives/overview.html", order=40, context=_widget)
    )
