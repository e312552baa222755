"""Report exports: a PDF of the dashboard or of a partner's QBR, rendered in the background.

The PDF is kept in the database (a few hundred kilobytes) so any web server can hand it out:
the web tier and the workers share no disk.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from prm.models import TenantOwnedModel, actor_key_field


class ReportExport(TenantOwnedModel):
    class Kind(models.TextChoices):
        DASHBOARD = "dashboard", "Executive dashboard"
        QBR = "qbr", "Partner QBR"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Rendering"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    period = models.CharField(max_length=20, help_text="Fiscal period label, e.g. FY2026-Q3.")
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, null=True, blank=True, related_name="report_exports"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_by_key = actor_key_field()
    content = models.BinaryField(null=True, editable=False)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "kind", "partner", "-created_at"])]

    def __str__(self) -> str:
        subject = self.partner.name if self.partner_id and self.partner else "dashboard"
        return f"{self.get_kind_display()} {self.period} ({subject})"

    @property
    def filename(self) -> str:
        subject = f"qbr-{self.partner_id}" if self.kind == self.Kind.QBR else "dashboard"
        return f"{subject}-{self.period}.pdf"
