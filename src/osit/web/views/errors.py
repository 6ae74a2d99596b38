from django.http import HttpResponse


def bad_request(request, exception=None):
    return HttpResponse("bad request", status=400)


def permission_denied(request, exception=None):
    return HttpResponse("forbidden", status=403)


def page_not_found(request, exception=None):
    return HttpResponse("not found", status=404)


def server_error(request):
    return HttpResponse("error", status=500)
