"""Does the PostgreSQL server of a URL answer? For scripts/test, which runs the suite on it.

    python scripts/postgres_answers.py postgres://postgres@127.0.0.1:5432/osit_ci

Exit 0: it answers (the server's ``postgres`` database, as the tests create their own); 2:
nothing listens at its host and port; 1: something listens but refuses (the reason on stderr).
"""

from __future__ import annotations

import socket
import sys

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo


def main(url: str) -> int:
    info = conninfo_to_dict(url)
    address = (str(info.get("host") or "127.0.0.1"), int(info.get("port") or 5432))
    try:
        socket.create_connection(address, timeout=3).close()
    except OSError:
        return 2
    info["dbname"] = "postgres"
    try:
        psycopg.connect(make_conninfo(**info), connect_timeout=3).close()
    except psycopg.Error as exc:
        print(str(exc).strip().splitlines()[0], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
