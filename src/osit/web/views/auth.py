from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse(status=501)


login_view = logout_view = password_change = profile = notifications = _todo
