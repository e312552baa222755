"""Background work of reporting: rendering a PDF export. A thin adapter to ``reporting.exports``."""

from __future__ import annotations

from celery import shared_task

from . import exports

PDF_TIME_LIMIT = 5 * 60


@shared_task(time_limit=PDF_TIME_LIMIT, soft_time_limit=PDF_TIME_LIMIT - 30)
def render_export(*, tenant_id: int, export_id: int) -> str:
    """Render a queued export to PDF; running it again for a finished export does nothing."""
    return exports.export_render(export_id=export_id)
