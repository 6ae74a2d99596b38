"""The OpenAPI document and the interactive docs at the stable addresses ``/api/openapi.json``
and ``/api/docs`` (the same as ``/api/v1/openapi.json`` and ``/api/v1/docs``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from osit.api.app import api


@require_GET
def openapi_document(request: HttpRequest) -> HttpResponse:
    return JsonResponse(api.get_openapi_schema(path_prefix="/api/v1"))


@require_GET
def docs_page(request: HttpRequest) -> HttpResponse:
    return api.docs.render_page(request, api)
