"""``osit login`` and ``osit ticket …`` against a real ``osit serve`` on a free port.

The client runs as a subprocess with OSIT_URL/OSIT_TOKEN (or the file ``osit login`` writes);
the server is the production server with its own database. One server for the module.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from tests.live import initialise, osit_env, process_database, run_osit, running_server

pytestmark = pytest.mark.slow
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    """A running server with two services, an operator, two technicians and two requesters."""
    tmp = tmp_path_factory.mktemp("client")
    with process_database("client") as url:
        env = osit_env(tmp / "data", url)
        initialise(env)
        steps = [
            ["service", "add", "appdev", "--name", "Application developers"],
            ["service", "add", "network", "--name", "Network"],
            ["application", "add", "payroll", "--name", "Payroll", "--service", "appdev"],
            ["user", "add", "olivia", "--email", "olivia@x.test", "--role", "operator"],
            [
                "user",
                "add",
                "tom",
                "--email",
                "tom@x.test",
                "--role",
                "technician",
                "--service",
                "appdev",
            ],
            [
                "user",
                "add",
                "nina",
                "--email",
                "nina@x.test",
                "--role",
                "technician",
                "--service",
                "network",
            ],
            ["user", "add", "alice", "--email", "alice@x.test", "--role", "requester"],
            ["user", "add", "bob", "--email", "bob@x.test", "--role", "requester"],
        ]
        for step in steps:
            result = run_osit(
                [*step, "--password-stdin"] if step[0] == "user" else step,
                env,
                input=PASSWORD + "\n",
            )
            assert result.returncode == 0, result.stderr
        tokens = {
            name: run_osit(["token", "create", name], env).stdout.strip()
            for name in ("olivia", "tom", "nina", "alice", "bob")
        }
        with running_server(env) as server:
            yield server, tokens, tmp


def client(desk, who, *args, stdin=None, token=None, url=None, extra_env=None):
    server, tokens, tmp = desk
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSIT_")}
    env.update(
        {
            "OSIT_URL": url or server,
            "OSIT_CLIENT_CONFIG": str(tmp / f"none-{who}.json"),
        }
    )
    if who:
        env["OSIT_TOKEN"] = token or tokens[who]
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "osit", *args],
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


def test_create_list_and_show(desk):
    ticket = create(desk, severity="major", criticality="blocking")
    assert (ticket["service"], ticket["requester"], ticket["priority"]) == ("appdev", "alice", 1)
    table = ok(client(desk, "tom", "ticket", "list"))
    header, *rows = table.splitlines()
    assert header.split() == ["NUMBER", "P", "STATUS", "SERVICE", "OWNER", "SUBJECT"]
    assert any(r.startswith(f"#{ticket['number']} ") and "Payroll down" in r for r in rows)
    listed = json.loads(ok(client(desk, "tom", "ticket", "list", "--json", "-q", "payroll")))
    assert ticket["number"] in [t["number"] for t in listed]
    shown = ok(client(desk, "tom", "ticket", "show", str(ticket["number"])))
    assert shown.splitlines()[0] == f"#{ticket['number']} Payroll down"
    assert "Requester: alice" in shown and "Status: new" in shown


def test_the_printed_line_of_create(desk):
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
        )
    )
    assert out.startswith("Created ticket #") and "(new, network)" in out


def test_an_idempotency_key_gives_the_same_ticket(desk):
    first = create(desk, idempotency_key="call-1")
    again = create(desk, idempotency_key="call-1")
    assert first["number"] == again["number"]


def test_comment_status_and_reroute(desk):
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
                "--body",
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
    line = error_line(client(desk, "tom", "ticket", "status", n, "open", "--comment", " "))
    assert line.startswith("osit: error: 422 invalid:")
    assert ok(client(desk, "tom", "ticket", "status", n, "open", "--comment", "On it")).strip() == (
        f"#{n} is now open"
    )
    line = error_line(client(desk, "tom", "ticket", "status", n, "open", "--comment", "again"))
    assert "409 conflict" in line and "(allowed: " in line
    out = ok(client(desk, "tom", "ticket", "reroute", n, "network", "--comment", "VPN issue"))
    assert out.strip() == f"#{n} re-routed to network"
    shown = json.loads(ok(client(desk, "nina", "ticket", "show", n, "--json")))
    assert shown["service"] == "network"
    assert any(c["body"] == "Restarted the pool" for c in shown["comments"])


def test_what_a_requester_may_not_see_is_a_404_line(desk):
    n = str(create(desk)["number"])
    line = error_line(client(desk, "bob", "ticket", "show", n))
    assert line == f"osit: error: 404 not found: Ticket #{n} does not exist."
    shown = json.loads(ok(client(desk, "alice", "ticket", "show", n, "--json")))
    assert all(c["visibility"] == "public" for c in shown["comments"])


def test_bad_token_connection_refused_and_no_configuration(desk):
    line = error_line(client(desk, "tom", "ticket", "list", token="osit_wrong"))
    assert "401" in line and "osit login" in line
    line = error_line(client(desk, "tom", "ticket", "list", url="http://127.0.0.1:9"))
    assert "connection refused" in line and "OSIT_URL" in line
    result = client(desk, None, "ticket", "list", extra_env={"OSIT_URL": ""})
    assert "no server configured" in error_line(result)


def test_login_with_password_then_with_a_token(desk):
    server, tokens, tmp = desk
    config = tmp / "login.json"
    env = {"OSIT_CLIENT_CONFIG": str(config)}
    out = ok(
        client(
            desk,
            None,
            "login",
            "--url",
            server,
            "--username",
            "tom",
            "--password-stdin",
            stdin=PASSWORD + "\n",
            extra_env=env,
        )
    )
    assert out.startswith(f"Logged in to {server} as tom")
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    saved = json.loads(config.read_text())
    assert saved["url"] == server and saved["token"].startswith("osit_")
    # osit ticket now works with nothing in the environment but the file.
    listed = client(desk, None, "ticket", "list", extra_env={**env, "OSIT_URL": ""})
    assert ok(listed).startswith("NUMBER") or "No ticket." in listed.stdout
    ok(client(desk, None, "logout", extra_env=env))
    assert not config.exists()
    # The token osit login created was revoked by osit logout.
    line = error_line(client(desk, "tom", "ticket", "list", token=saved["token"]))
    assert "401" in line

    wrong = client(
        desk,
        None,
        "login",
        "--url",
        server,
        "--username",
        "tom",
        "--password-stdin",
        stdin="nope\n",
        extra_env=env,
    )
    assert "password" in error_line(wrong)
    out = ok(client(desk, None, "login", "--url", server, "--token", tokens["nina"], extra_env=env))
    assert "as nina" in out


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["ticket", "--help"],
        ["login", "--help"],
        ["logout", "--help"],
        *(
            ["ticket", a, "--help"]
            for a in ("list", "show", "create", "comment", "status", "reroute")
        ),
    ],
)
def test_every_client_command_has_help(args):
    result = subprocess.run(
        [sys.executable, "-m", "osit", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and "usage: osit" in result.stdout
