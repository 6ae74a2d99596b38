"""SQL queries per request on the django-helpdesk peer, like src/osit/bench/queries.py: each
page's URLs once through Django's test client (warm), against the benchmark database, counting
the statements. Run with the peer's interpreter and ``DJANGO_SETTINGS_MODULE=peerdesk.settings``.

Input on stdin (JSON): ``{"pages": {name: {"user": username, "urls": [url, …], "api": bool}},
"tokens": {username: key}}``; a page made of a shell and its data request lists both URLs and
gets their sum. Output on stdout: ``{name: {"status": [codes], "queries": n}}``.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerdesk.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()  # lets the test client's host in
    spec = json.load(sys.stdin)
    clients: dict[str, Client] = {}
    out = {}
    for name, page in spec["pages"].items():
        who = page["user"]
        if who not in clients:
            clients[who] = Client()
            clients[who].force_login(User.objects.get(username=who))
        client = clients[who]
        headers = {"Authorization": f"Token {spec['tokens'][who]}"} if page.get("api") else {}
        for url in page["urls"]:
            client.get(url, headers=headers)  # warm per-process caches, as a server is
        statuses, total = [], 0
        for url in page["urls"]:
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url, headers=headers)
            statuses.append(response.status_code)
            total += len(ctx)
        out[name] = {"status": statuses, "queries": total}
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
