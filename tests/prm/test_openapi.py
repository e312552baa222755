"""The OpenAPI schema documents what the API answers (``make fuzz`` checks it against a live server;
these check the schema class's rules without one)."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from prm.metrics import Unit

BODY_METHODS = {"post", "patch", "put"}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


def test_every_operation_documents_authentication_and_not_found(schema):
    missing = [
        f"{method.upper()} {path}"
        for path, method, operation in _operations(schema)
        if not {"401", "404"} <= set(operation["responses"])
    ]
    assert not missing


def test_operations_with_a_body_document_bad_request_too_large_and_wrong_media_type(schema):
    missing = [
        f"{method.upper()} {path}"
        for path, method, operation in _operations(schema)
        if "requestBody" in operation and not {"400", "403", "413", "415"} <= set(operation["responses"])
    ]
    assert not missing


def test_only_reads_open_to_every_caller_omit_forbidden(schema):
    assert "403" not in schema["paths"]["/api/v1/t/{tenant_slug}/me/"]["get"]["responses"]
    assert "403" in schema["paths"]["/api/v1/t/{tenant_slug}/partners/"]["get"]["responses"]


def test_error_bodies_are_shared_components(schema):
    responses = schema["components"]["responses"]
    assert responses["Unauthorized"]["headers"]["WWW-Authenticate"]
    assert responses["BadRequest"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationError"
    }
    assert schema["components"]["schemas"]["ErrorDetail"]["required"] == ["detail"]


def test_blank_read_only_text_is_documented_beside_its_format_and_enum(schema):
    partner = schema["components"]["schemas"]["Partner"]["properties"]
    assert {"type": "string", "maxLength": 0} in partner["website"]["oneOf"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in partner["company_size"]["oneOf"]


def test_read_only_fields_that_may_be_missing_are_nullable(schema):
    assert schema["components"]["schemas"]["Plan"]["properties"]["signed_by"]["nullable"] is True
    qbr = schema["components"]["schemas"]["PartnerQbr"]["properties"]
    assert qbr["tier"]["nullable"] is True


def test_staff_only_fields_are_optional(schema):
    registration = schema["components"]["schemas"]["Registration"]
    assert "adjustment_reason" in registration["properties"]
    assert "adjustment_reason" not in registration["required"]


def test_actions_answering_lists_answer_plain_arrays(schema):
    comments = schema["paths"]["/api/v1/t/{tenant_slug}/plans/{id}/comments/"]["get"]["responses"]["200"]
    assert comments["content"]["application/json"]["schema"]["type"] == "array"


def test_metric_units_are_the_catalog_units(schema):
    assert schema["components"]["schemas"]["UnitEnum"]["enum"] == [unit.value for unit in Unit]


def test_id_filters_are_integers(schema):
    parameters = schema["paths"]["/api/v1/t/{tenant_slug}/registrations/"]["get"]["parameters"]
    account = next(p for p in parameters if p["name"] == "account")
    assert account["schema"]["type"] == "integer"
