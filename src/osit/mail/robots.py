"""Is a message from a robot? Auto-replies, bounces, bulk mail and loops are recorded on the
ticket but never answered and never reopen anything (SPEC §3, RFC 3834).

:func:`classify` looks at headers only (and, for a parsed message, at its MIME types), in this
order, the first sign found deciding:

1. ``loop``: OSIT's own ``X-OSIT-Loop`` header, an ``X-Loop`` naming one of this desk's
   addresses, or a sender that is one of them;
2. ``bounce``: a delivery status notification — ``multipart/report; report-type=
   delivery-status``, a ``message/delivery-status`` part, a sender that is MAILER-DAEMON or
   postmaster;
3. ``auto_reply``: RFC 3834 ``Auto-Submitted: auto-replied``, ``X-Autoreply``/``X-Autorespond``,
   Exchange's out-of-office signature (``X-Auto-Response-Suppress: All``/``OOF`` together with
   ``X-MS-Exchange-Inbox-Rules-Loop``, or its "Automatic reply:" subject), the subject prefixes
   of the common auto-responders, a read receipt (``report-type=disposition-notification``);
4. ``bounce`` again for a null return path (``Return-Path: <>``) that nothing above explained;
5. ``bulk``: ``Precedence: bulk|list|junk`` (with ``List-Id``/``List-Unsubscribe`` in the
   reason when present), ``Auto-Submitted: auto-generated`` or any other non-"no" value.

``X-Auto-Response-Suppress`` alone is not a robot's mark: Outlook and many ticket systems put
it on ordinary mail to ask *recipients* not to auto-reply. :func:`wants_no_auto_reply` reports
that wish so that acknowledgements can honour it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import Message

from osit.mail.parse import ParsedMessage, decode_words, parse_message

AUTO_REPLY = "auto_reply"
BOUNCE = "bounce"
BULK = "bulk"
LOOP = "loop"
KINDS = (AUTO_REPLY, BOUNCE, BULK, LOOP)
LOOP_HEADER = "X-OSIT-Loop"

# What auto-responders put before the original subject; the colon is required so that a
# person writing "Out of office next week" is not taken for a robot.
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:"
    r"out of (?:the )?office(?: (?:reply|autoreply|auto-reply|notice))?"
    r"|automatic reply|auto(?:matic)?[- ]?(?:reply|response|answer)|autoreply"
    r"|abwesenheitsnotiz|automatische antwort|abwesend"
    r"|r[ée]ponse automatique|absence du bureau|message d'absence"
    r"|risposta automatica|fuori sede|respuesta autom[áa]tica|fuera de la oficina"
    r"|resposta autom[áa]tica|automatisch antwoord|afwezig"
    r"|autosvar|automatisk svar|automaattinen vastaus|odpowied[źz] automatyczna"
    r"|automatick[áa] odpov[ěe][ďd]|autom[aá]tikus v[aá]lasz"
    r"|自動応答|自動返信|自动回复|자동 응답"
    r")\s*:",
    re.IGNORECASE,
)
_DAEMON = re.compile(r"^(?:mailer-daemon|mail-daemon|postmaster|mailer_daemon)(?:@|$)", re.I)
_ADDRESS = re.compile(r"[^\s<>\"',;:()\[\]]+@[^\s<>\"',;:()\[\]]+")


@dataclass(frozen=True)
class Robot:
    kind: str  # one of KINDS
    reason: str  # why we think so, for the ticket's history


class _View:
    """Case-insensitive header look-up over any of the inputs :func:`classify` accepts."""

    def __init__(self, message: ParsedMessage | Mapping[str, str] | Message | bytes) -> None:
        self.parsed: ParsedMessage | None = None
        self.values: dict[str, str] = {}
        if isinstance(message, bytes | bytearray):
            message = parse_message(bytes(message))
        if isinstance(message, ParsedMessage):
            self.parsed = message
            for name, value in message.headers.items():
                self.values.setdefault(str(name).lower(), str(value))
        elif isinstance(message, Message):
            for name, value in message.raw_items():
                key = str(name).lower()
                if key not in self.values:
                    self.values[key] = " ".join(decode_words(str(value)).split())
        else:
            for name, value in message.items():
                key = str(name).lower()
                if key not in self.values:
                    self.values[key] = " ".join(decode_words(str(value)).split())

    def __call__(self, name: str) -> str:
        return self.values.get(name, "")

    def has(self, name: str) -> bool:
        return name in self.values

    @property
    def sender(self) -> str:
        if self.parsed is not None:
            return self.parsed.from_email
        match = _ADDRESS.search(self("from"))
        return match.group(0).lower() if match else ""

    @property
    def subject(self) -> str:
        return self.parsed.subject if self.parsed is not None else self("subject")

    @property
    def content_type(self) -> str:
        if self.parsed is not None:
            return self.parsed.content_type
        return self("content-type").split(";", 1)[0].strip().lower()

    def has_part(self, ctype: str) -> bool:
        return self.parsed is not None and any(
            a.content_type == ctype for a in self.parsed.attachments
        )


def classify(
    message: ParsedMessage | Mapping[str, str] | Message | bytes,
    *,
    own_addresses: Iterable[str] = frozenset(),
) -> Robot | None:
    """None for a person's message; otherwise which kind of robot sent it and why we think so.

    ``message`` is a :class:`ParsedMessage`, a mapping of header names to values, an
    ``email.message.Message`` or raw bytes. ``own_addresses`` are this desk's addresses.
    """
    h = _View(message)
    own = {a.strip().lower() for a in own_addresses if a and a.strip()}
    return _loop(h, own) or _bounce(h) or _auto_reply(h) or _null_sender(h) or _bulk(h)


def wants_no_auto_reply(message: ParsedMessage | Mapping[str, str] | Message | bytes) -> bool:
    """The sender asked recipients not to auto-reply (``X-Auto-Response-Suppress``), or the
    message is a robot's: either way no acknowledgement should go back."""
    h = _View(message)
    suppress = h("x-auto-response-suppress").lower()
    if any(token in suppress for token in ("all", "oof", "autoreply")):
        return True
    return classify(message) is not None


def _loop(h: _View, own: set[str]) -> Robot | None:
    if h.has("x-osit-loop"):
        return Robot(LOOP, f"it carries OSIT's own {LOOP_HEADER} header")
    loop = h("x-loop").strip().lower()
    if loop and own:
        named = {a.lower() for a in _ADDRESS.findall(loop)} | {loop.strip("<>")}
        for address in sorted(named & own):
            return Robot(LOOP, f"X-Loop names this desk's address {address}")
    if h.sender and h.sender in own:
        return Robot(LOOP, f"it comes from this desk's own address {h.sender}")
    return None


def _bounce(h: _View) -> Robot | None:
    report = h("content-type").lower()
    if h.content_type == "multipart/report" and "disposition-notification" not in report:
        return Robot(BOUNCE, "a delivery status notification (multipart/report)")
    if "report-type=delivery-status" in report.replace(" ", "").replace('"', ""):
        return Robot(BOUNCE, "a delivery status notification (report-type=delivery-status)")
    if h.content_type == "message/delivery-status" or h.has_part("message/delivery-status"):
        return Robot(BOUNCE, "a delivery status notification (message/delivery-status)")
    if _DAEMON.match(h.sender) or _DAEMON.match(h("from").strip().strip('"')):
        return Robot(BOUNCE, f"it comes from {h.sender or h('from')}")
    return None


def _auto_reply(h: _View) -> Robot | None:
    auto = h("auto-submitted").lower()
    if auto.startswith("auto-replied"):
        return Robot(AUTO_REPLY, f"Auto-Submitted: {auto}")
    for name in ("x-autoreply", "x-autorespond", "x-auto-reply"):
        value = h(name).lower()
        if h.has(name) and value not in ("no", "false", "0"):
            return Robot(AUTO_REPLY, f"{name}: {value or 'present'}")
    suppress = h("x-auto-response-suppress").lower()
    if (
        suppress
        and any(token in suppress for token in ("all", "oof"))
        and h.has("x-ms-exchange-inbox-rules-loop")
    ):
        return Robot(AUTO_REPLY, f"Exchange rule reply (X-Auto-Response-Suppress: {suppress})")
    if "disposition-notification" in h("content-type").lower():
        return Robot(AUTO_REPLY, "a read receipt (disposition notification)")
    for subject in (h.subject, h("thread-topic")):
        if subject and _AUTO_SUBJECT.match(subject):
            return Robot(AUTO_REPLY, f"an auto-responder's subject: {subject[:80]}")
    return None


def _null_sender(h: _View) -> Robot | None:
    path = h("return-path").replace(" ", "").lower()
    if path == "<>" or _DAEMON.match(path.strip("<>")):
        return Robot(BOUNCE, f"a null return path (Return-Path: {h('return-path')})")
    return None


def _bulk(h: _View) -> Robot | None:
    precedence = (h("precedence") or h("x-precedence")).lower().strip()
    if precedence in ("bulk", "list", "junk"):
        lists = [name for name in ("List-Id", "List-Unsubscribe") if h.has(name.lower())]
        extra = f" with {', '.join(lists)}" if lists else ""
        return Robot(BULK, f"Precedence: {precedence}{extra}")
    auto = h("auto-submitted").lower().strip()
    if auto and not auto.startswith("no"):
        return Robot(BULK, f"Auto-Submitted: {auto}")
    return None
