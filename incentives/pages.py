"""What incentives' staff pages and portal share: downloading a claim's proof file."""

from __future__ import annotations

from django.http import FileResponse, Http404

from prm.access import TenantRequest

from . import queries
from .models import ProofDocument


def proof_response(request: TenantRequest, proof_id: int) -> FileResponse:
    """A proof-of-performance file of a claim the caller may see (staff: any; partner: its own)."""
    document = ProofDocument.objects.filter(pk=proof_id, claim__in=queries.claims(request.access)).first()
    if document is None:
        raise Http404
    return FileResponse(
        document.file.open("rb"), filename=document.original_name, content_type=document.content_type
    )
