"""``osit login`` / ``osit logout``: remember a server and a personal token for ``osit ticket``."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import socket
import sys
import warnings

from osit.cli.base import CommandError
from osit.cli.client import (
    ApiError,
    Client,
    api_command,
    config_path,
    read_config,
    write_config,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    login = subparsers.add_parser(
        "login",
        help="log the command-line client in to an OSIT server",
        description="Get a personal API token (from your user name and password, or one you "
        "already have) and save it with the server's URL in the client configuration file "
        "($OSIT_CLIENT_CONFIG, default $XDG_CONFIG_HOME/osit/client.json or "
        "~/.config/osit/client.json, mode 0600). osit ticket then uses it; OSIT_URL and "
        "OSIT_TOKEN override it. Logging in again revokes the token the previous login created.",
    )
    login.add_argument(
        "--url", help="the server, e.g. https://desk.example.org (default: OSIT_URL, else saved)"
    )
    login.add_argument("--username", help="your user name (asked if missing)")
    login.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    login.add_argument("--token", help="save this existing token instead of creating one")
    login.add_argument("--name", help="the new token's name (default: osit login on HOST)")
    login.set_defaults(func=run_login, django=False)
    logout = subparsers.add_parser(
        "logout",
        help="forget the saved token (and revoke it)",
        description="Revoke the token osit login created, if the server can be reached, and "
        "delete the client configuration file.",
    )
    logout.set_defaults(func=run_logout, django=False)


def _ask(args: argparse.Namespace) -> tuple[str, str]:
    try:
        username = (args.username or input("User name: ")).strip()
        if not username:
            raise CommandError("a user name is required (--username)")
        if args.password_stdin:
            line = sys.stdin.readline()
            if not line:
                raise EOFError
            password = line.rstrip("\r\n")
        else:
            with warnings.catch_warnings():
                # getpass falls back to reading standard input, echoed, when there is no terminal.
                warnings.simplefilter("error", getpass.GetPassWarning)
                password = getpass.getpass(f"Password for {username}: ")
    except getpass.GetPassWarning:
        raise CommandError(
            "no terminal to ask the password on — give it on standard input with "
            "--password-stdin, or use --token"
        ) from None
    except EOFError:
        raise CommandError(
            "no user name or password to read (end of input) — give --username, and the "
            "password on standard input with --password-stdin, or --token"
        ) from None
    return username, password


@api_command
def run_login(args: argparse.Namespace) -> int:
    # --url, else OSIT_URL, else the server saved by the last osit login.
    client = Client.from_args(url=args.url)
    token_id = None
    if args.token:
        client.token = args.token
        me = client.request("GET", "/me")
    else:
        username, password = _ask(args)
        created = client.request(
            "POST",
            "/tokens",
            body={
                "username": username,
                "password": password,
                "name": args.name or f"osit login on {socket.gethostname()}",
            },
            auth=False,
        )
        client.token, token_id = created["token"], created["id"]
        me = client.request("GET", "/me")
    previous = read_config()
    path = write_config({"url": client.url, "token": client.token, "token_id": token_id})
    _revoke_quietly(previous, keep=client.token)
    print(f"Logged in to {client.url} as {me['username']} (saved in {path})")
    return 0


def _revoke_quietly(saved: dict, keep: str | None) -> None:
    """Revoke the token a previous osit login created and that is now forgotten (best effort)."""
    if saved.get("token_id") and saved.get("url") and saved.get("token") not in (None, keep):
        with contextlib.suppress(CommandError):
            Client(saved["url"], saved["token"]).request("DELETE", f"/tokens/{saved['token_id']}")


@api_command
def run_logout(args: argparse.Namespace) -> int:
    saved = read_config()
    path = config_path()
    if not saved:
        raise CommandError(f"not logged in ({path} does not exist)")
    if saved.get("token_id"):
        try:
            Client(saved["url"], saved.get("token")).request(
                "DELETE", f"/tokens/{saved['token_id']}"
            )
        except (ApiError, CommandError) as exc:
            print(f"osit: warning: the token was not revoked: {exc}", file=sys.stderr)
    path.unlink()
    print(f"Logged out of {saved.get('url')}")
    return 0
