"""Query filters shared by the apps' lists (API and pages): ids are integers a database can hold.

``NumberFilter`` reads decimals, so ``?account=0.5`` filtered and ``?account=3.4e38`` reached SQLite
as an integer it cannot bind (a 500); the schema said ``number``. These say ``integer`` and answer
an id no database row can have with a 400 naming the parameter (or, for an id in range that does
not exist, an empty list).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django_filters.fields import ModelMultipleChoiceField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

# A signed 64-bit integer: SQLite's INTEGER and PostgreSQL's bigint.
ID_MIN, ID_MAX = -(2**63), 2**63 - 1


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """An object's id (``?partner=7``)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", ID_MIN)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(*args, **kwargs)


class _IdsField(ModelMultipleChoiceField):
    def _check_values(self, value: Any) -> Any:
        for pk in value:
            try:
                number = int(pk)
            except (TypeError, ValueError):
                continue  # not a number: Django's own check names it
            if not ID_MIN <= number <= ID_MAX:
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk}
                )
        return super()._check_values(value)


class IdsFilter(django_filters.ModelMultipleChoiceFilter):
    """Objects chosen by id, repeatable (``?tier=1&tier=2``)."""

    field_class = _IdsField
