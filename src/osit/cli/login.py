"""``osit login`` / ``osit logout``: remember a server and a personal token for ``osit ticket``."""

from __future__ import annotations

import argparse
import getpass
import socket
import sys

from osit.cli.base import CommandError
from osit.cli.client import ApiError, Client, config_path, read_config, write_config


def register(subparsers: argparse._SubParsersAction) -> None:
    login = subparsers.add_parser(
        "login",
        help="log the command-line client in to an OSIT server",
        description="Get a personal API token (from your user name and password, or one you "
        "already have) and save it with the server's URL in the client configuration file "
        "($OSIT_CLIENT_CONFIG, default ~/.config/osit/client.json, mode 0600). osit ticket "
        "then uses it; OSIT_URL and OSIT_TOKEN override it.",
    )
    login.add_argument("--url", help="the server, e.g. https://desk.example.org (or OSIT_URL)")
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


def run_login(args: argparse.Namespace) -> int:
    saved = read_config()
    url = args.url or saved.get("url")
    client = Client.from_args(url=url)
    token_id = None
    if args.token:
        client.token = args.token
        me = client.request("GET", "/me")
    else:
        username = args.username or input("User name: ").strip()
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass(f"Password for {username}: ")
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
    path = write_config({"url": client.url, "token": client.token, "token_id": token_id})
    print(f"Logged in to {client.url} as {me['username']} (saved in {path})")
    return 0


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
