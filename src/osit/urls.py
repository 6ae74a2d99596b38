from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("osit.web.urls")),
]

handler400 = "osit.web.views.errors.bad_request"
handler403 = "osit.web.views.errors.permission_denied"
handler404 = "osit.web.views.errors.page_not_found"
handler500 = "osit.web.views.errors.server_error"
