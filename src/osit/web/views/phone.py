from osit.web.views.auth import _todo

new = lookup = recent = suggest_service = _todo
