"""The OpenAPI schema says what the API answers, errors included (``schemathesis`` checks it in CI).

drf-spectacular documents the success answer of each operation from its serializers. This schema
class adds what it cannot see:

- the error answers every operation can give (400, 401, 403, 404, 413, 415), each with the body
  ``prm.api.exception_handler`` and the tenant middleware send;
- ``""`` for read-only text fields over a model field that may be blank (DRF drops ``allow_blank``
  from read-only fields, so an empty ``website`` contradicted ``format: uri`` and an empty
  ``company_size`` its enum);
- that a serializer's ``staff_only_fields`` are absent from partner callers' answers;
- ``null`` for read-only fields whose source may be missing: a nullable model field at the end of
  the source (``signed_by`` of an unsigned plan) or an explicit ``default=None`` (``tier.name`` of
  a partner without a tier).
"""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers
from rest_framework.fields import empty

DETAIL_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "What went wrong, for a person."}},
    "required": ["detail"],
}
VALIDATION_SCHEMA = {
    "type": "object",
    "description": (
        "Field name → its error messages; `non_field_errors` for the request as a whole; `detail` "
        "alone for a body that could not be read. Nested input (the rows of a bulk request, a "
        "list of criteria) answers in the same shape, nested."
    ),
    "properties": {
        "detail": {"type": "string"},
        "non_field_errors": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}},
            {"type": "object"},
            {"type": "string"},
        ]
    },
}
# Status → (response component, body schema, description); ``error_statuses`` says which apply.
ERRORS = {
    "400": (
        "BadRequest",
        "ValidationError",
        "The request is not valid: the fields and what is wrong with each.",
    ),
    "401": ("Unauthorized", "ErrorDetail", "No credentials, or an API key that is unknown or revoked."),
    "403": (
        "Forbidden",
        "ErrorDetail",
        "The caller's role may not do this (or a session write without its CSRF token).",
    ),
    "404": (
        "NotFound",
        "ErrorDetail",
        "No such object in this tenant (or not the caller's), no such tenant, or a page past the last.",
    ),
    "413": ("PayloadTooLarge", "ErrorDetail", "The request body is larger than the server accepts."),
    "415": (
        "UnsupportedMediaType",
        "ErrorDetail",
        "The request body is not in one of the media types the operation accepts.",
    ),
}
SCHEMAS = {"ErrorDetail": DETAIL_SCHEMA, "ValidationError": VALIDATION_SCHEMA}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Keys that describe a field rather than its values: they stay outside a ``oneOf``.
OUTER_KEYS = {"readOnly", "writeOnly", "nullable", "deprecated", "description", "title"}


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation["responses"]
        for status in self.error_statuses(operation):
            responses.setdefault(status, self._error_response(status))
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def error_statuses(self, operation: dict[str, Any]) -> list[str]:
        """The error answers this operation can give.

        Every operation needs credentials (401) and a tenant the caller belongs to (404, also for
        an object that is not theirs). 403 unless the endpoint admits every caller of the tenant
        and only reads. 400 when there is input to refuse: a body, query parameters, or a write
        (a transition refused in the object's state). 413 and 415 where there is a body.
        """
        from prm.api import IsTenantCaller  # the API module imports the apps' models; load it late

        statuses = ["401", "404"]
        open_to_all = all(p is IsTenantCaller for p in getattr(self.view, "permission_classes", []))
        if not (open_to_all and self.method in SAFE_METHODS):
            statuses.append("403")
        has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
        if "requestBody" in operation or has_query or self.method not in SAFE_METHODS:
            statuses.append("400")
        if "requestBody" in operation:
            statuses += ["413", "415"]
        return statuses

    def _error_response(self, status: str) -> dict[str, str]:
        """A reference to the shared response for ``status`` (registered on first use)."""
        name, schema_name, description = ERRORS[status]
        body = ResolvedComponent(
            name=schema_name,
            type=ResolvedComponent.SCHEMA,
            object=schema_name,
            schema=copy.deepcopy(SCHEMAS[schema_name]),
        )
        self.registry.register_on_missing(body)
        response: dict[str, Any] = {
            "description": description,
            "content": {"application/json": {"schema": body.ref}},
        }
        if status == "401":
            response["headers"] = {
                "WWW-Authenticate": {"schema": {"type": "string"}, "description": '`Bearer realm="api"`'}
            }
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.RESPONSE, object=name, schema=response
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _get_paginator(self) -> Any:
        # DRF paginates a viewset's ``list`` only: another action answering ``many=True`` (a plan's
        # comments, the statements a program's close produced) answers a plain array.
        action = getattr(self.view, "action", None)
        if action is not None and action != "list":
            return None
        return super()._get_paginator()

    def _map_basic_serializer(self, serializer: Any, direction: str) -> Any:
        schema = super()._map_basic_serializer(serializer, direction)
        # A serializer's ``staff_only_fields`` are left out of partner callers' answers: optional.
        staff_only = set(getattr(serializer, "staff_only_fields", ()))
        if direction == "response" and staff_only and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in staff_only]
            for name in staff_only & set(schema["properties"]):
                schema["properties"][name]["description"] = "Staff callers only (absent for partners)."
        return schema

    def _map_serializer_field(self, field: Any, direction: str, bypass_extensions: bool = False) -> Any:
        if direction != "response" or not getattr(field, "read_only", False):
            return super()._map_serializer_field(field, direction, bypass_extensions)
        field = _as_answered(field)
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if getattr(field, "allow_blank", False) and "format" in schema:
            # As spectacular does for writable fields (it checks formats on those only): the
            # format, or an empty string.
            inner = {key: schema.pop(key) for key in list(schema) if key not in OUTER_KEYS}
            schema["oneOf"] = [inner, {"type": "string", "maxLength": 0}]
        return schema


def _as_answered(field: serializers.Field[Any, Any, Any, Any]) -> serializers.Field[Any, Any, Any, Any]:
    """A copy of a read-only field saying what it really answers: ``""`` and ``null`` included."""
    if isinstance(field, serializers.ListSerializer | serializers.ManyRelatedField):
        return field
    path = _model_path(field)
    # A null at the end of the path is answered as null; one earlier makes DRF leave the key out
    # unless the field names ``default=None`` (then null again).
    nullable = not field.allow_null and (
        field.default is None or (field.default is empty and bool(path) and path[-1].null)
    )
    blank = (
        hasattr(field, "allow_blank")
        and not field.allow_blank
        and bool(path)
        and isinstance(path[-1], models.CharField | models.TextField)
        and path[-1].blank
    )
    if not (nullable or blank):
        return field
    field = copy.copy(field)
    if nullable:
        field.allow_null = True
    if blank:
        field.allow_blank = True  # type: ignore[attr-defined]
    return field


def _model_path(field: serializers.Field[Any, Any, Any, Any]) -> list[models.Field[Any, Any]]:
    """The model fields a serializer field's ``source`` walks through (empty when not a model's)."""
    meta = getattr(getattr(field, "parent", None), "Meta", None)
    model = getattr(meta, "model", None)
    if model is None or not getattr(field, "source_attrs", None):
        return []
    path = []
    for attr in field.source_attrs:
        if model is None:
            return []
        try:
            model_field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return []  # a property or method: its own annotation or declaration says what it answers
        path.append(model_field)
        model = model_field.related_model
    return path
