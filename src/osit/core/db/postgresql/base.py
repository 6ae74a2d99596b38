"""Django's PostgreSQL backend, checking a kept connection's health without a round trip.

With ``CONN_HEALTH_CHECKS``, Django sends ``SELECT 1`` before the first query of every request
that reuses a connection: a round trip on every page, the tenth of the cheapest request's time
(``GET /api/v1/me``, issue 5). An idle connection in autocommit receives nothing from the server
unless the server ends it — a restart, ``pg_terminate_backend``, an idle timeout: it then sends
its error and closes the socket. So the socket is polled instead (no wait, no bytes sent); only
when something has arrived, or the connection is not idle, is the check Django's own ``SELECT
1``, which fails on a closed connection and lets Django open a new one before the request's
first query. A connection lost without the server saying so (a cable pulled) is found by the
request's first query either way.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        pgconn = connection.pgconn
        if (
            pgconn.status == pq.ConnStatus.OK
            and pgconn.transaction_status == pq.TransactionStatus.IDLE
            and not pgconn.pipeline_status
        ):
            try:
                readable, _w, _x = select.select([pgconn.socket], [], [], 0)
            except (OSError, ValueError):
                return super().is_usable()
            if not readable:
                return True
        return super().is_usable()
