"""Error pages: JSON under /api/, the site's own pages elsewhere."""

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import csrf_exempt


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A request Django refused before any view could (a body over the size limit, a bad host)."""
    if isinstance(exception, RequestDataTooBig):
        if _is_api(request):
            return JsonResponse(
                {"detail": "The request body is larger than this server accepts."}, status=413
            )
        return render(
            request, "400.html", {"reason": "The upload is larger than this server accepts."}, status=413
        )
    if _is_api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "404.html", status=404)


@csrf_exempt  # nothing to protect, and a refused token would answer with the HTML CSRF page
def api_not_found(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """A path under the API that names no endpoint: the JSON 404, with DEBUG on too (whose
    not-found page is HTML, which the schema does not promise)."""
    return JsonResponse({"detail": "Not found."}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    # No request context: the page must render even when the database is what failed.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
