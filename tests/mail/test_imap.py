"""IMAP polling against a real Dovecot (Debian's dovecot-imapd), started here on a free port with
its own configuration, mail stored as the unprivileged ``dovecot`` user (or the current user when
the tests do not run as root)."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from osit.mail import imap
from osit.mail.models import InboundMessage
from osit.tickets.models import Ticket
from tests.mail.conftest import free_port, make_mail

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"

CONFIG = """
protocols = imap
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/passwd
}}
userdb {{
  driver = static
  args = uid={internal} gid={group} home={dir}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
"""


@pytest.fixture
def dovecot():
    if not Path(DOVECOT).exists():
        if os.environ.get("OSIT_REQUIRE_DOVECOT"):
            pytest.fail("dovecot is not installed (apt-get install dovecot-imapd)")
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    root = os.getuid() == 0
    me = pwd.getpwuid(os.getuid()).pw_name
    internal = "dovecot" if root else me
    login = "dovenull" if root else me
    group = grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name
    port = free_port()
    # Outside pytest's private tmp (mode 0700): Dovecot's own users must read it.
    tmp_path = Path(tempfile.mkdtemp(prefix="osit-dovecot-"))
    tmp_path.chmod(0o755)
    for sub in ("run", "state", "home"):
        (tmp_path / sub).mkdir()
    (tmp_path / "home").chmod(0o777)  # the mail user writes its maildir there
    (tmp_path / "passwd").write_text("desk:{PLAIN}imap-secret\n")
    conf = tmp_path / "dovecot.conf"
    conf.write_text(
        CONFIG.format(dir=tmp_path, internal=internal, group=group, login=login, port=port)
    )
    subprocess.run([DOVECOT, "-c", str(conf)], check=True, timeout=30)
    deadline = time.monotonic() + 15
    while not (tmp_path / "run" / "master.pid").exists():
        assert time.monotonic() < deadline, (tmp_path / "dovecot.log").read_text()
        time.sleep(0.1)
    yield port
    pid = int((tmp_path / "run" / "master.pid").read_text())
    os.kill(pid, 15)
    time.sleep(0.2)
    shutil.rmtree(tmp_path, ignore_errors=True)


def put(port: int, *raws: bytes) -> None:
    from imap_tools import MailBoxUnencrypted

    with MailBoxUnencrypted("127.0.0.1", port=port).login("desk", "imap-secret") as mb:
        for raw in raws:
            mb.append(raw, "INBOX")


@pytest.mark.django_db
def test_polling_a_mailbox(personas, dovecot, settings):
    from imap_tools import MailBoxUnencrypted

    settings.OSIT_IMAP_MAILBOXES = (
        f"imap://desk:imap-secret@127.0.0.1:{dovecot}/INBOX?service=network&done=Done"
    )
    put(dovecot, make_mail(message_id="i1@x"), make_mail(subject="Second", message_id="i2@x"))
    assert imap.poll_all() == 2
    assert InboundMessage.objects.filter(source="imap", status="applied").count() == 2
    assert set(Ticket.objects.values_list("service__slug", flat=True)) == {"network"}
    # Processed messages were moved out of the inbox: polling again reads nothing new.
    assert imap.poll_all() == 0
    with MailBoxUnencrypted("127.0.0.1", port=dovecot).login("desk", "imap-secret") as mb:
        assert len(list(mb.fetch())) == 0
        mb.folder.set("Done")
        assert len(list(mb.fetch())) == 2


@pytest.mark.django_db
def test_an_unreachable_mailbox_does_not_stop_the_others(personas, dovecot, settings):
    settings.OSIT_IMAP_MAILBOXES = (
        f"imap://desk:wrong@127.0.0.1:1/INBOX imap://desk:imap-secret@127.0.0.1:{dovecot}/INBOX"
    )
    put(dovecot, make_mail(message_id="i3@x"))
    assert imap.poll_all() == 1
