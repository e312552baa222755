"""The plan as a PDF: WeasyPrint renders the same partial templates and SVG chart as the page."""

from __future__ import annotations

import logging

from django.template.loader import render_to_string
from django.utils import timezone

from . import queries
from .models import Plan

# WeasyPrint reports every layout step at INFO; a worker's log needs only its warnings.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def plan_document_html(plan: Plan) -> str:
    view = queries.plan_view(plan, chart_width=680)
    return render_to_string(
        "jbp/plan_pdf.html",
        {
            "plan": plan,
            "view": view,
            "tenant": plan.tenant,
            "reviews": queries.reviews(plan)[:2],
            "open_items": queries.open_action_items(plan),
            "generated_at": timezone.now(),
            "pdf": True,
        },
    )


def render_plan(plan: Plan) -> tuple[bytes, int]:
    """The PDF bytes and the number of pages."""
    from weasyprint import HTML  # loads Pango and fonts: only the worker that renders pays for it

    document = HTML(string=plan_document_html(plan)).render()
    return document.write_pdf(), len(document.pages)
