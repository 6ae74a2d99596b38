"""The static files' storage: Django's addresses, each worked out once."""

from __future__ import annotations

from django.contrib.staticfiles.storage import StaticFilesStorage, staticfiles_storage
from django.template import Context, Template
from django.test import override_settings

from osit.core.storage import StaticStorage


def test_static_addresses_are_djangos_and_remembered(monkeypatch):
    storage = StaticStorage()
    names = ["osit/osit.css", "django_htmx/htmx-2.min.js", "a file/with spaces&.css"]
    assert [storage.url(n) for n in names] == [StaticFilesStorage().url(n) for n in names]
    calls = []
    monkeypatch.setattr(StaticFilesStorage, "url", lambda self, name: calls.append(name))
    assert storage.url("osit/osit.css") == "/static/osit/osit.css"  # not asked again
    assert calls == []


def test_the_static_tag_follows_a_new_static_url():
    page = Template("{% load static %}{% static 'osit/osit.css' %}")
    assert page.render(Context()) == "/static/osit/osit.css"
    assert isinstance(staticfiles_storage._wrapped, StaticStorage)  # the one settings name
    with override_settings(STATIC_URL="/assets/"):
        assert page.render(Context()) == "/assets/osit/osit.css"
    assert page.render(Context()) == "/static/osit/osit.css"
