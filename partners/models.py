"""Partner companies. Minimal for now: the partners capability fleshes the profile out."""

from django.db import models

from prm.models import TenantOwnedModel


class Partner(TenantOwnedModel):
    class Status(models.TextChoices):
        PROSPECT = "prospect", "Prospect"
        ONBOARDING = "onboarding", "Onboarding"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        EXITED = "exited", "Exited"

    name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROSPECT)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["tenant", "name"]), models.Index(fields=["tenant", "status"])]

    def __str__(self) -> str:
        return self.name
