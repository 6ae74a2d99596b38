from osit.web.views.auth import _todo

index = new = detail = reply = confirm = reopen = _todo
