"""SQL queries per request for the benchmark runner: each URL once through Django's test client,
against the benchmark database, counting the statements (``python -m osit.bench.queries``).

Input on stdin (JSON): ``{"urls": {username: {name: url}}, "tokens": {username: token}}``, where
a url may be ``{"path": url, "headers": {name: value}}``; output on stdout:
``{name: {"status": code, "queries": n}}``. URLs under /api/ use the user's token.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "osit.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from osit.directory.models import User

    setup_test_environment()  # lets the test client's host in; nothing else here cares
    spec = json.load(sys.stdin)
    out = {}
    for who, urls in spec["urls"].items():
        client = Client()
        client.force_login(User.objects.get(username=who))
        for name, page in urls.items():
            # A URL, or {"path": URL, "headers": {...}} for a request made with headers (HTMX).
            url = page if isinstance(page, str) else page["path"]
            headers = {} if isinstance(page, str) else dict(page.get("headers", {}))
            if "/api/" in url:
                headers["Authorization"] = f"Bearer {spec['tokens'][who]}"
            client.get(url, headers=headers)  # warm per-process caches, as a server is
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url, headers=headers)
            out[name] = {"status": response.status_code, "queries": len(ctx)}
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
