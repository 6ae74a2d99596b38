from osit.web.views.auth import _todo

detail = reply = status = reroute = take = assign = classify = priority = decide = _todo
watchers = attach = download = _todo
