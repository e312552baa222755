"""Database constraints that explain themselves: a message in words, on the field at fault.

Every ``CheckConstraint`` and ``UniqueConstraint`` of the apps is declared with ``check`` or
``unique``: a ``violation_error_message`` written for people, and the field at fault when there is
one (Django puts constraint errors on no field). Both ways a constraint can refuse a row answer the same
``{field: [message]}``:

- model validation (``full_clean`` in the services): ``validate_constraints``, which the core's
  model bases use instead of Django's;
- the database itself, when two requests race past that validation: ``constraint_error`` turns the
  ``IntegrityError`` into the constraint's ``ValidationError`` (a 400 in the API, the form's error
  on pages) instead of a 500.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, TypeVar

from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, router

Constraint = TypeVar("Constraint", bound=models.BaseConstraint)


# Constraint name → the field its violation is shown on. Names are unique across the models
# (Django's checks models.E031/E032); Django clones constraints into ``_meta``, so the field is
# kept here rather than on the object. Not migration state: it is presentation.
_ERROR_FIELDS: dict[str, str] = {}


def on_field(field: str, constraint: Constraint) -> Constraint:
    """Declare the field a violation of ``constraint`` is shown on (its ``violation_error_message``
    says what is wrong)."""
    _ERROR_FIELDS[constraint.name] = field
    return constraint


def check(
    name: str, condition: models.Q, message: str, *, field: str | None = None
) -> models.CheckConstraint:
    """A check constraint with its message in words, shown on ``field`` when one is at fault."""
    constraint = models.CheckConstraint(condition=condition, name=name, violation_error_message=message)
    return on_field(field, constraint) if field else constraint


def unique(
    name: str, fields: list[str], message: str, *, field: str | None = None, condition: models.Q | None = None
) -> models.UniqueConstraint:
    """A unique constraint with its message in words, shown on ``field`` (the value that clashes)."""
    constraint = models.UniqueConstraint(
        fields=fields, condition=condition, name=name, violation_error_message=message
    )
    return on_field(field, constraint) if field else constraint


def error_field(constraint: models.BaseConstraint) -> str:
    """The field a violation of ``constraint`` is shown on, else the form's top ("__all__")."""
    return _ERROR_FIELDS.get(constraint.name, NON_FIELD_ERRORS)


def validate_constraints(instance: models.Model, exclude: Any = None) -> None:
    """Django's ``Model.validate_constraints``, with each violation on its constraint's field."""
    using = router.db_for_write(type(instance), instance=instance)
    errors: dict[str, list[ValidationError]] = {}
    for model_class, constraints in instance.get_constraints():
        for constraint in constraints:
            try:
                constraint.validate(model_class, instance, exclude=exclude, using=using)
            except ValidationError as error:
                errors.setdefault(error_field(constraint), []).append(error)
    if errors:
        raise ValidationError(errors)


def constraint_error(error: IntegrityError) -> ValidationError | None:
    """The constraint's own error for a violation the database refused, or None when the
    ``IntegrityError`` names no constraint of ours (a foreign key, a NOT NULL)."""
    constraint = _constraint_of(error)
    if constraint is None:
        return None
    return ValidationError(
        {error_field(constraint): [constraint.get_violation_error_message()]},
        code=constraint.violation_error_code,
    )


# SQLite names a CHECK constraint, but a UNIQUE one only by its columns (or its index when partial).
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (?P<name>\w+)")
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<columns>[\w.]+(?:, [\w.]+)*)")
_SQLITE_INDEX = re.compile(r"UNIQUE constraint failed: index '(?P<name>\w+)'")


def _constraint_of(error: IntegrityError) -> models.BaseConstraint | None:
    by_name, by_columns = _constraints()
    diag = getattr(error.__cause__, "diag", None)  # PostgreSQL (psycopg) names the constraint
    name = getattr(diag, "constraint_name", None)
    if name:
        return by_name.get(name)
    text = str(error)
    match = _SQLITE_CHECK.search(text) or _SQLITE_INDEX.search(text)
    if match:
        return by_name.get(match["name"])
    match = _SQLITE_UNIQUE.search(text)
    if match:
        qualified = [column.split(".", 1) for column in match["columns"].split(", ")]
        tables = {table for table, _column in qualified}
        if len(tables) == 1:
            return by_columns.get((tables.pop(), frozenset(column for _table, column in qualified)))
    return None


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or field.column is None:
        raise TypeError(f"{model.__name__}.{name} is not a column: a unique constraint names columns")
    return field.column


@cache
def _constraints() -> tuple[
    dict[str, models.BaseConstraint], dict[tuple[str, frozenset[str]], models.BaseConstraint]
]:
    """Every constraint of the installed models, by name and (unique ones) by table and columns."""
    by_name: dict[str, models.BaseConstraint] = {}
    by_columns: dict[tuple[str, frozenset[str]], models.BaseConstraint] = {}
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            by_name[constraint.name] = constraint
            fields = getattr(constraint, "fields", ())
            if isinstance(constraint, models.UniqueConstraint) and fields:
                columns = frozenset(_column(model, name) for name in fields)
                # A partial unique constraint shares its columns with none of the same table here.
                by_columns.setdefault((model._meta.db_table, columns), constraint)
    return by_name, by_columns
