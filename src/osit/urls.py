from django.contrib import admin
from django.urls import include, path

from osit.api.app import api
from osit.api.docs import docs_page, openapi_document

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("api/openapi.json", openapi_document, name="api_openapi"),
    path("api/docs", docs_page, name="api_docs"),
    path("", include("osit.web.urls")),
]

handler400 = "osit.web.views.errors.bad_request"
handler403 = "osit.web.views.errors.permission_denied"
handler404 = "osit.web.views.errors.page_not_found"
handler500 = "osit.web.views.errors.server_error"
