from osit.web.views.auth import _todo

home = queue = mine = unowned = enhancements = closed = quick_create = _todo
