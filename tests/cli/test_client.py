"""``osit login`` and ``osit ticket …`` against a real ``osit serve`` on a free port.

The client runs as the ``osit`` console script in a subprocess, with OSIT_URL/OSIT_TOKEN (or the
file ``osit login`` writes); the server is the production server with its own database (SQLite,
or PostgreSQL when OSIT_DATABASE_URL is set). One server for the module.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests import live

pytestmark = pytest.mark.slow
PASSWORD = "correct-horse-battery"
_SCRIPT = shutil.which("osit", path=str(Path(sys.executable).parent))
OSIT = [_SCRIPT] if _SCRIPT else [sys.executable, "-m", "osit"]

# `osit service|application|user add` are tested in test_commands.py: one process sets the desk up.
PEOPLE = f"""
from osit.directory import actions as d
d.ensure_roles()
appdev = d.create_service(actor=None, channel="cli", slug="appdev", name="Application developers")
network = d.create_service(actor=None, channel="cli", slug="network", name="Network")
d.create_application(actor=None, channel="cli", slug="payroll", name="Payroll", service=appdev)
def user(name, role, services=()):
    d.create_user(actor=None, channel="cli", username=name, email=name + "@x.test",
                  roles=[role], services=services, password="{PASSWORD}", validate=False)
user("olivia", "operator")
user("tom", "technician", [appdev])
user("nina", "technician", [network])
user("alice", "requester")
user("bob", "requester")
"""


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    """A running server with two services, an operator, two technicians and two requesters."""
    tmp = tmp_path_factory.mktemp("client")
    with live.process_database("client") as url:
        env = live.osit_env(tmp / "data", url)
        live.initialise(env)
        live.shell(env, PEOPLE)
        tokens = live.create_tokens(env, ["olivia", "tom", "nina", "alice", "bob"])
        with live.running_server(env) as server:
            yield server, tokens, tmp


def client(desk, who, *args, stdin=None, token=None, url=None, extra_env=None):
    """Run ``osit ARGS`` as ``who`` (their token in OSIT_TOKEN; None: no token)."""
    server, tokens, tmp = desk
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OSIT_", "XDG_"))}
    env.update(
        {
            "OSIT_URL": url or server,
            "OSIT_CLIENT_CONFIG": str(tmp / f"none-{who}.json"),
            "HOME": str(tmp / "home"),
        }
    )
    env.pop("COLUMNS", None)
    if who:
        env["OSIT_TOKEN"] = token or tokens[who]
    env.update(extra_env or {})
    return subprocess.run(
        [*OSIT, *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def ok(result):
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def error_line(result, code=1):
    """The one line an error prints on stderr (and nothing else there)."""
    assert result.returncode == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("osit: error: "), result.stderr
    return lines[0]


def create(desk, who="olivia", **fields):
    args = ["ticket", "create", "--json"]
    for name, value in {
        "subject": "Payroll down",
        "requester": "alice",
        "application": "payroll",
        **fields,
    }.items():
        args += [f"--{name.replace('_', '-')}", value]
    return json.loads(ok(client(desk, who, *args)))


# --- list, show, create ---------------------------------------------------------------------


def test_create_list_and_show(desk):
    ticket = create(desk, severity="major", criticality="blocking")
    assert (ticket["service"], ticket["requester"], ticket["priority"]) == ("appdev", "alice", 1)
    table = ok(client(desk, "tom", "ticket", "list"))
    header, *rows = table.splitlines()
    assert header.split() == ["NUMBER", "P", "STATUS", "SERVICE", "OWNER", "SUBJECT"]
    row = next(r for r in rows if r.startswith(f"#{ticket['number']} "))
    assert row.split()[1:5] == ["1", "new", "appdev", "-"] and row.endswith("Payroll down")
    listed = json.loads(ok(client(desk, "tom", "ticket", "list", "--json", "-q", "payroll")))
    assert isinstance(listed, list) and ticket["number"] in [t["number"] for t in listed]
    shown = ok(client(desk, "tom", "ticket", "show", str(ticket["number"])))
    assert shown.splitlines()[0] == f"#{ticket['number']} Payroll down"
    for line in ("Requester: alice", "Status: new", "Service: appdev", "Priority: 1", "Owner: -"):
        assert line in shown.splitlines()
    assert f"Web: {desk[0]}/tickets/{ticket['number']}/" in shown


def test_the_printed_line_of_create_and_a_description_from_stdin(desk):
    out = ok(
        client(
            desk,
            "olivia",
            "ticket",
            "create",
            "--subject",
            "VPN slow",
            "--requester",
            "bob",
            "--service",
            "network",
            "--description",
            "-",
            stdin="Since this morning,\nfrom building B.\n",
        )
    )
    assert out.startswith("Created ticket #") and out.rstrip().endswith("(new, network)")
    number = out.split("#", 1)[1].split()[0]
    shown = ok(client(desk, "nina", "ticket", "show", number))
    assert "Since this morning,\nfrom building B.\n" in shown


def test_an_idempotency_key_gives_the_same_ticket(desk):
    first = create(desk, idempotency_key="call-1")
    again = create(desk, idempotency_key="call-1")
    assert first["number"] == again["number"]
    assert create(desk, idempotency_key="call-2")["number"] != first["number"]


def test_list_filters_pages_and_fits_the_terminal(desk):
    long = "The payroll export stops at the third step and nobody knows why " * 2
    numbers = {create(desk, subject=long)["number"] for _ in range(3)}
    # A network ticket of its own (the tests of this module may run on other workers).
    ok(client(desk, "olivia", "ticket", "create", "--json", "--subject", "Switch down",
              "--requester", "bob", "--service", "network"))  # fmt: skip
    one = json.loads(ok(client(desk, "tom", "ticket", "list", "--json", "--limit", "1")))
    assert len(one) == 1
    every = json.loads(ok(client(desk, "tom", "ticket", "list", "--json", "--limit", "2", "--all")))
    assert numbers <= {t["number"] for t in every}
    assert len(every) == len({t["number"] for t in every})  # no page twice
    networked = json.loads(
        ok(client(desk, "olivia", "ticket", "list", "--json", "--service", "network"))
    )
    assert networked and all(t["service"] == "network" for t in networked)
    assert json.loads(ok(client(desk, "tom", "ticket", "list", "--json", "--view", "closed"))) == []
    # A terminal 60 columns wide: subjects are cut to fit; piped, they are whole.
    narrow = ok(client(desk, "tom", "ticket", "list", extra_env={"COLUMNS": "60"}))
    assert all(len(line) <= 60 for line in narrow.splitlines()) and "…" in narrow
    assert long.strip() in ok(client(desk, "tom", "ticket", "list", "--limit", "200"))
    usage = client(desk, "tom", "ticket", "list", "--limit", "0")
    assert usage.returncode == 2 and "from 1 to 200" in usage.stderr


# --- comment, status, reroute ---------------------------------------------------------------


def test_comment_status_and_reroute(desk, tmp_path):
    n = str(create(desk)["number"])
    assert ok(client(desk, "tom", "ticket", "comment", n, "--body", "Looking")).strip() == (
        f"Reply added to #{n}"
    )
    note = json.loads(
        ok(
            client(
                desk,
                "tom",
                "ticket",
                "comment",
                n,
                "-",
                "--internal",
                "--minutes",
                "30",
                "--json",
                stdin="Restarted the pool\n",
            )
        )
    )
    assert (note["visibility"], note["time_spent_minutes"]) == ("internal", 30)
    reply = tmp_path / "reply.txt"
    reply.write_text("From a file\n")
    ok(client(desk, "tom", "ticket", "comment", n, "--body-file", str(reply)))
    missing = client(desk, "tom", "ticket", "comment", n, "--body-file", str(tmp_path / "no"))
    assert "cannot read" in error_line(missing)
    line = error_line(client(desk, "tom", "ticket", "status", n, "open", "--comment", " "))
    assert line.startswith("osit: error: 422 invalid: ") and "comment" in line
    without = client(desk, "tom", "ticket", "status", n, "open")
    assert without.returncode == 2 and "--comment" in without.stderr
    assert ok(client(desk, "tom", "ticket", "status", n, "open", "--comment", "On it")).strip() == (
        f"#{n} is now open"
    )
    line = error_line(client(desk, "tom", "ticket", "status", n, "open", "--comment", "again"))
    assert line.startswith("osit: error: 409 conflict: ") and "(allowed: " in line
    assert "resolved" in line.split("(allowed: ")[1]
    out = ok(client(desk, "tom", "ticket", "reroute", n, "network", "--comment", "VPN issue"))
    assert out.strip() == f"#{n} re-routed to network"
    shown = json.loads(ok(client(desk, "nina", "ticket", "show", n, "--json")))
    assert (shown["service"], shown["status"]) == ("network", "open")
    assert shown["time_spent_minutes"] == 30
    bodies = [c["body"] for c in shown["comments"]]
    assert bodies[:3] == ["Looking", "Restarted the pool", "From a file"]  # oldest first
    text = ok(client(desk, "nina", "ticket", "show", n))
    assert text.index("Looking") < text.index("Restarted the pool")
    assert " tom (internal note, 30 min)" in text and " tom (public reply)" in text
    line = error_line(client(desk, "nina", "ticket", "reroute", n, "nowhere", "--comment", "x"))
    assert line.startswith("osit: error: 422 invalid: ") and "nowhere" in line


def test_what_a_requester_may_not_see_is_a_404_line(desk):
    n = str(create(desk)["number"])
    ok(client(desk, "tom", "ticket", "comment", n, "--body", "secret", "--internal"))
    line = error_line(client(desk, "bob", "ticket", "show", n))
    assert line == f"osit: error: 404 not found: Ticket #{n} does not exist."
    shown = json.loads(ok(client(desk, "alice", "ticket", "show", n, "--json")))
    assert shown["comments"] == []  # the internal note is not hers to see
    line = error_line(client(desk, "alice", "ticket", "comment", n, "--body", "x", "--internal"))
    assert line.startswith("osit: error: 403 forbidden: ")
    assert error_line(client(desk, "tom", "ticket", "show", "99999")).startswith(
        "osit: error: 404 not found: Ticket #99999"
    )


# --- what goes wrong ------------------------------------------------------------------------


class _Canned(http.server.BaseHTTPRequestHandler):
    """Answers every request with ``self.server.answer`` = (status, headers, body)."""

    def do_GET(self):
        status, headers, body = self.server.answer
        if status is None:  # hang up without a word
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def canned_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Canned)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_bad_token_connection_refused_and_no_configuration(desk):
    line = error_line(client(desk, "tom", "ticket", "list", token="osit_wrong"))
    assert line == (
        "osit: error: 401: not logged in or the token is invalid — run osit login, "
        "or set OSIT_TOKEN"
    )
    line = error_line(client(desk, "tom", "ticket", "list", url="http://127.0.0.1:9"))
    assert line == (
        "osit: error: cannot reach http://127.0.0.1:9 (connection refused) — is osit serve "
        "running? Set OSIT_URL."
    )
    result = client(desk, None, "ticket", "list", extra_env={"OSIT_URL": ""})
    assert error_line(result) == (
        "osit: error: no server configured — set OSIT_URL or run osit login"
    )
    line = error_line(client(desk, None, "ticket", "list"))
    assert "not logged in" in line and "osit login" in line


def test_answers_that_are_not_osit_are_one_line_too(desk):
    server = desk[0]
    line = error_line(client(desk, "tom", "ticket", "list", url=server + "/login"))
    assert line.startswith("osit: error: 404: ") and "OSIT_URL" in line
    # The API's own address works as well as the server's.
    ok(client(desk, "tom", "ticket", "list", url=server + "/api/v1/"))
    with canned_server() as (canned, url):
        canned.answer = (429, {"Retry-After": "42"}, b'{"message": "Slow down."}')
        line = error_line(client(desk, "tom", "ticket", "list", url=url))
        assert line == "osit: error: 429 too many requests: Slow down. Retry after 42 seconds."
        canned.answer = (None, {}, b"")
        line = error_line(client(desk, "tom", "ticket", "list", url=url))
        assert "cannot reach" in line and "closed" in line
        canned.answer = (302, {"Location": "https://elsewhere.test/"}, b"")
        line = error_line(client(desk, "tom", "ticket", "list", url=url))
        assert line.startswith("osit: error: 302: ") and "https://elsewhere.test/" in line
        canned.answer = (200, {"Content-Type": "text/html"}, b"<html>hello</html>")
        assert "not JSON" in error_line(client(desk, "tom", "ticket", "list", url=url))
        canned.answer = (200, {"Content-Type": "application/json"}, b'{"unexpected": 1}')
        assert "not what osit expected" in error_line(
            client(desk, "tom", "ticket", "list", url=url)
        )


# --- login, logout --------------------------------------------------------------------------


def test_login_with_password_then_with_a_token(desk):
    server, tokens, tmp = desk
    config = tmp / "login.json"
    env = {"OSIT_CLIENT_CONFIG": str(config)}

    def login(*args, stdin=PASSWORD + "\n"):
        return client(desk, None, "login", "--url", server, *args, stdin=stdin, extra_env=env)

    out = ok(login("--username", "tom", "--password-stdin"))
    assert out.startswith(f"Logged in to {server} as tom")
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    saved = json.loads(config.read_text())
    assert saved["url"] == server and saved["token"].startswith("osit_")
    # osit ticket now works with nothing in the environment but the file.
    listed = client(desk, None, "ticket", "list", extra_env={**env, "OSIT_URL": ""})
    assert ok(listed).startswith("NUMBER") or "No ticket." in listed.stdout
    # Logging in again replaces (and revokes) the token of the previous login.
    ok(login("--username", "tom", "--password-stdin", "--name", "second"))
    second = json.loads(config.read_text())
    assert second["token"] != saved["token"]
    assert "401" in error_line(client(desk, "tom", "ticket", "list", token=saved["token"]))
    assert ok(client(desk, None, "logout", extra_env=env)).startswith(f"Logged out of {server}")
    assert not config.exists()
    # The token osit login created was revoked by osit logout.
    assert "401" in error_line(client(desk, "tom", "ticket", "list", token=second["token"]))
    assert "not logged in" in error_line(client(desk, None, "logout", extra_env=env))

    line = error_line(login("--username", "tom", "--password-stdin", stdin="nope\n"))
    assert line == "osit: error: 422 invalid: The user name or the password is wrong."
    assert not config.exists()
    line = error_line(login("--username", "tom", "--password-stdin", stdin=""))
    assert "--password-stdin" in line
    line = error_line(login(stdin=""))  # no user name, no terminal
    assert "--username" in line

    out = ok(login("--token", tokens["nina"]))
    assert out.startswith(f"Logged in to {server} as nina")
    assert json.loads(config.read_text())["token"] == tokens["nina"]
    assert "401" in error_line(login("--token", "osit_wrong"))
    # osit logout forgets a token it was given but does not revoke it: it may be used elsewhere.
    ok(client(desk, None, "logout", extra_env=env))
    ok(client(desk, "nina", "ticket", "list"))


def test_options_then_environment_then_the_saved_file(desk):
    server, tokens, tmp = desk
    config = tmp / "precedence.json"
    config.write_text(json.dumps({"url": "http://127.0.0.1:9", "token": tokens["tom"]}))
    env = {"OSIT_CLIENT_CONFIG": str(config)}
    # The file's URL is refused; OSIT_URL wins over it, --url over OSIT_URL.
    assert "127.0.0.1:9" in error_line(
        client(desk, None, "ticket", "list", extra_env={**env, "OSIT_URL": ""})
    )
    ok(client(desk, None, "ticket", "list", extra_env=env))
    ok(
        client(
            desk, None, "ticket", "list", "--url", server, url="http://127.0.0.1:9", extra_env=env
        )
    )
    # The file's token (tom's) is used; OSIT_TOKEN wins over it, --token over OSIT_TOKEN.
    n = str(create(desk)["number"])  # an appdev ticket: tom sees it, nina does not
    ok(client(desk, None, "ticket", "show", n, extra_env=env))
    assert "404" in error_line(client(desk, "nina", "ticket", "show", n, extra_env=env))
    ok(client(desk, "nina", "ticket", "show", n, "--token", tokens["tom"], extra_env=env))
    # $XDG_CONFIG_HOME/osit/client.json when OSIT_CLIENT_CONFIG is not set.
    xdg = tmp / "xdg"
    (xdg / "osit").mkdir(parents=True)
    (xdg / "osit" / "client.json").write_text(json.dumps({"url": server, "token": tokens["tom"]}))
    result = client(desk, None, "ticket", "show", n, extra_env={"OSIT_URL": ""})
    assert "no server configured" in error_line(result)
    ok(
        subprocess.run(
            [*OSIT, "ticket", "show", n],
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith("OSIT_")},
                "XDG_CONFIG_HOME": str(xdg),
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["ticket", "--help"],
        ["login", "--help"],
        ["logout", "--help"],
        *(
            ["ticket", action, "--help"]
            for action in ("list", "show", "create", "comment", "status", "reroute")
        ),
    ],
)
def test_every_client_command_has_help(args):
    result = subprocess.run([*OSIT, *args], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0 and "usage: osit" in result.stdout
    if args[0] == "--help":
        assert all(f" {c} " in result.stdout for c in ("ticket", "login", "logout"))
    elif len(args) == 3 or args[0] == "login":
        assert "OSIT_URL" in result.stdout and "OSIT_TOKEN" in result.stdout
