"""Static files served under ``STATIC_URL``, their addresses worked out once (issue 5).

Django's ``{% static %}`` quotes and joins each file's address on every use; a page's
stylesheet and script links cost more than its header. The address of a name depends on the
name and the storage's base URL only, and Django builds a new storage when ``STATIC_URL`` or
``STORAGES`` change (``django.test.signals``), so a storage remembers the addresses it made.
"""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles.storage import StaticFilesStorage


class StaticStorage(StaticFilesStorage):
    """Django's ``StaticFilesStorage``, each file's URL computed once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name: str | None) -> str:
        if name is None:
            return super().url(name)
        try:
            return self._urls[name]
        except KeyError:
            if len(self._urls) >= 1024:  # names come from templates: a few dozen in practice
                self._urls.clear()
            url = self._urls[name] = super().url(name)
            return url
