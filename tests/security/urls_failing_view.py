"""A URL conf for tests: the real one plus tenant pages that fail after writing or stream."""

from django.db import connection
from django.http import StreamingHttpResponse
from django.urls import path

from partners.models import Partner
from prm import audit
from prm.ui import any_member
from prm.urls import urlpatterns as real_urlpatterns


@any_member
def write_then_fail(request, tenant_slug):
    audit.record(access=request.access, verb="test.half_done", target=request.tenant)
    if request.GET.get("sql"):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")  # a database error aborts the transaction
    raise RuntimeError("the view failed after writing")


@any_member
def stream_partners(request, tenant_slug):
    def body():
        for name in Partner.objects.order_by("name").values_list("name", flat=True):
            yield f"{name}\n".encode()

    return StreamingHttpResponse(body(), content_type="text/plain")


urlpatterns = [
    path("t/<slug:tenant_slug>/test-fail/", write_then_fail),
    path("t/<slug:tenant_slug>/test-stream/", stream_partners),
    *real_urlpatterns,
]
