"""One RFC 822 message → what OSIT needs of it, for any bytes whatsoever.

:func:`parse_message` never raises: what it cannot read becomes a line in
``ParsedMessage.defects`` and the rest of the message is still read.

How:

- The MIME structure comes from the standard library's parser with ``policy.default``. That
  policy parses Content-Type headers with a parser that is quadratic or recursive on crafted
  values (minutes for a 1 MB header, ``RecursionError`` on nested comments) and gives up on some
  illegal boundaries that ``policy.compat32`` reads; so a message whose MIME headers look
  hostile is parsed with compat32, and one where policy.default lost a boundary is re-parsed
  with compat32 when that finds more.
- Header values are read raw and decoded here: RFC 2047 words (adjacent words of one charset
  joined before decoding, so a character split across words survives), raw 8-bit bytes
  (RFC 6532, or a legacy charset guessed from the body's), unknown charsets (:mod:`charsets`).
- Parameters (charset, name, filename, boundary) are read with compat32's lenient parser,
  which keeps an unquoted ``name=This is a test.txt`` whole and joins RFC 2231 continuations;
  the bytes of an RFC 2231 value are then decoded with our charset fallbacks.
- Transfer encodings are undone here, leniently: base64 with bad padding or stray characters,
  quoted-printable, x-uuencode with or without its ``begin`` line, unknown encodings as-is.
- Bodies: the text/plain part, or the HTML turned into text; in multipart/alternative the
  plain alternative gives ``text`` and the HTML one ``html``; in multipart/mixed the inline
  text and HTML parts follow each other. Everything else is an attachment: files, inline images
  (by Content-ID), uuencoded blocks found inside text, forwarded messages (``<subject>.eml``),
  delivery reports, PGP/MIME and S/MIME signatures and encrypted payloads.
"""

from __future__ import annotations

import binascii
import email
import email.errors
import email.parser
import email.utils
import functools
import inspect
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.generator import BytesGenerator
from email.message import Message
from io import BytesIO

from osit.mail import html as htmlmod
from osit.mail.charsets import decode

MAX_ATTACHMENT_BYTES = 20 * 2**20
MAX_DEPTH = 40  # MIME nesting deeper than this is kept as one attachment
# MIME headers longer or more convoluted than any real mailer writes: policy.default's header
# parser is slow on them (quadratic in parameters and encoded words), so compat32 reads them.
_HOSTILE_LENGTH = 4096
_MAX_MIME_HEADER = 16384
_HOSTILE_COUNTS = ((b";", 40), (b"(", 16), (b"=?", 24), (b'"', 80), (b"\\", 40))

_MIME_HEADER = re.compile(rb"(?im)^content-[a-z0-9-]*[ \t]*:[^\n]*(?:\n[ \t][^\n]*)*")
_OBS_HEADER_NAME = re.compile(rb"(?m)^([!-9;-~]+)[ \t]+:")
_CHARSET_HINT = re.compile(rb"(?i)charset\s*=\s*[\"']?([a-z0-9_.:+-]{2,40})")
_META_CHARSET = re.compile(r"(?i)<meta[^>]{0,200}?charset\s*=\s*[\"']?([a-z0-9_.:+-]{2,40})")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_LINESEP = re.compile(r"\r\n|\r|\n")  # as policy.default splits (not str.splitlines)
_FOLD = re.compile(r"\r?\n(?=[ \t])|\r?\n")
_SPACES = re.compile(r"\s+")
_MSGID = re.compile(r"<([^<>\s]+)>")
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+$")
_ADDRESS_TOKEN = re.compile(r"[^@\s<>()\[\],;:\"']+@[^@\s<>()\[\],;:\"']+")
_DATE_PREFIX = re.compile(
    r"(?:[A-Za-z]{2,9},?\s*)?\d{1,2}[\s-]+[A-Za-z]{3,9}\.?[\s-]+\d{2,4}\s+"
    r"\d{1,2}\s*:\s*\d{1,2}(?:\s*:\s*\d{1,2}(?:\.\d+)?)?"
    r"(?:\s*(?:[+-]\d{2}:?\d{2}|GMT|UTC|UT|Z|[ECMP][SD]T|[A-Z]{1,5}(?![a-z])))?"
)
_UU_BEGIN = re.compile(rb"^begin(?:-base64)?\s+[0-7]{3,4}\s+(.+?)\s*$")
_UU_BLOCK = re.compile(rb"(?m)^begin\s+[0-7]{3,4}\s+\S")
_UU_LINE = re.compile(rb"[ -`]*\r?\n?")
_BOUNDARY_LINE = re.compile(rb"(?m)^--([^\s\"]{1,200})[ \t]*\r?\n(?=(?i:content-))")
_EMPTY_HEADER = re.compile(rb"(?m)^([!-9;-~]+): (\r?\n)")
_UU_CTE = {"x-uuencode", "uuencode", "x-uue", "uue"}
_ENRICHED = {"text/enriched", "text/richtext", "text/x-amp-html"}
_REPORTS = {
    "message/delivery-status",
    "message/disposition-notification",
    "message/feedback-report",
}
_EXTENSIONS = {
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "text/rfc822-headers": ".txt",
    "message/delivery-status": ".txt",
    "message/disposition-notification": ".txt",
    "message/rfc822": ".eml",
    "message/global": ".eml",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "application/pgp-signature": ".asc",
    "application/pgp-encrypted": ".asc",
    "application/pkcs7-signature": ".p7s",
    "application/x-pkcs7-signature": ".p7s",
    "application/pkcs7-mime": ".p7m",
    "application/x-pkcs7-mime": ".p7m",
    "application/octet-stream": ".bin",
}
try:
    _GETADDRESSES_ARGS = (
        {"strict": False}
        if "strict" in inspect.signature(email.utils.getaddresses).parameters
        else {}
    )
except (TypeError, ValueError):  # pragma: no cover
    _GETADDRESSES_ARGS = {}


class _Policy(policy.EmailPolicy):
    """``policy.default``, but a header value is parsed once: the parser asks for each part's
    Content-Type several times, and policy.default parses it anew on every access."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        if hasattr(value, "name"):
            return value
        return _parsed_header(self.header_factory, name, value)


@functools.lru_cache(maxsize=1024)  # values are short: longer MIME headers go to compat32
def _parsed_header(factory: object, name: str, value: str) -> str:
    return factory(name, "".join(_LINESEP.split(value)))  # type: ignore[operator]


_DEFAULT = _Policy()
# Re-emitting a forwarded message: header lines exactly as they came (no refolding).
_VERBATIM = policy.default.clone(refold_source="none", max_line_length=0)


@dataclass
class Attachment:
    """A file carried by the message: a real attachment, an inline image, a forwarded mail."""

    filename: str
    content_type: str
    content: bytes
    content_id: str | None = None
    inline: bool = False

    @property
    def size(self) -> int:
        return len(self.content)


class Headers(dict[str, str]):
    """Header name as the sender wrote it → decoded value; look-ups ignore case."""

    def _key(self, name: object) -> str | None:
        if not isinstance(name, str):
            return None
        if dict.__contains__(self, name):
            return name
        lower = name.lower()
        return next((key for key in self if key.lower() == lower), None)

    def __getitem__(self, name: str) -> str:
        key = self._key(name)
        if key is None:
            raise KeyError(name)
        return dict.__getitem__(self, key)

    def __contains__(self, name: object) -> bool:
        return self._key(name) is not None

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        key = self._key(name)
        return default if key is None else dict.__getitem__(self, key)


@dataclass
class ParsedMessage:
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_email: str = ""
    from_name: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    reply_to: list[str] = field(default_factory=list)
    date: datetime | None = None
    text: str = ""
    html: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    oversized: list[str] = field(default_factory=list)
    headers: Headers = field(default_factory=Headers)
    content_type: str = "text/plain"
    defects: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        """The decoded value of the first ``name`` header, or ""."""
        return self.headers.get(name) or ""


# --- entry point ---------------------------------------------------------------------------------


def parse_message(raw: bytes, *, max_attachment_bytes: int = MAX_ATTACHMENT_BYTES) -> ParsedMessage:
    """Read one message; never raises. Attachments over ``max_attachment_bytes`` are dropped
    and their names listed in ``oversized``."""
    result = ParsedMessage()
    try:
        data = _as_bytes(raw)
        _Reader(data, result, max_attachment_bytes).read()
    except Exception as exc:  # the last line of defence: keep whatever was read
        _defect(result, f"parser failure, kept what was read: {type(exc).__name__}: {exc}")
    return result


def _as_bytes(raw: object) -> bytes:
    if raw is None:
        return b""
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, bytearray | memoryview):
        return bytes(raw)
    return str(raw).encode("utf-8", "surrogateescape")


def _defect(result: ParsedMessage, text: str) -> None:
    text = text[:300]
    if text not in result.defects and len(result.defects) < 100:
        result.defects.append(text)


# --- the reader ----------------------------------------------------------------------------------


@dataclass
class _Info:
    """What a part's MIME headers say."""

    ctype: str = "text/plain"
    charset: str | None = None
    disposition: str = ""
    filename: str | None = None
    content_id: str | None = None
    cte: str = ""
    description: str = ""
    location: str = ""
    start: str | None = None  # multipart/related's root
    boundary: str | None = None


@dataclass
class _Body:
    """Body pieces in order, each ("plain" | "html", text); attachments go to the result."""

    text: list[tuple[str, str]] = field(default_factory=list)
    html: list[tuple[str, str]] = field(default_factory=list)

    def extend(self, other: _Body) -> None:
        self.text.extend(other.text)
        self.html.extend(other.html)

    def has(self, kind: str, which: str = "text") -> bool:
        return any(k == kind for k, _v in getattr(self, which))


class _Reader:
    def __init__(self, raw: bytes, result: ParsedMessage, limit: int) -> None:
        self.raw = raw
        self.result = result
        self.limit = max(0, int(limit))
        self.hint = _charset_hint(raw)
        self.linesep = "\r\n" if b"\r\n" in raw[:8192] else "\n"
        self.reparses = 0
        self.infos: dict[int, tuple[Message, _Info]] = {}

    # -- whole message
    def read(self) -> None:
        msg = self._parse()
        if msg is None:
            return
        try:
            self._headers(msg)
        except Exception as exc:
            _defect(self.result, f"headers partly unreadable: {type(exc).__name__}: {exc}")
        try:
            body = self._collect(msg, msg, 0)
            self._finish(body)
        except RecursionError:
            _defect(self.result, "MIME structure nested too deeply; body not read")
        except Exception as exc:
            _defect(self.result, f"body partly unreadable: {type(exc).__name__}: {exc}")
        self._parser_defects(msg)

    def _parse(self) -> Message | None:
        raw = _repair_header_names(self.raw)
        chosen: policy.Policy = _DEFAULT
        if _hostile_mime_headers(raw):
            chosen = policy.compat32
            _defect(self.result, "oversized or convoluted MIME headers: read with compat32")
            # Even compat32 reads parameters in quadratic time and compiles the boundary into
            # a regular expression: cut such headers to a length no real mailer reaches.
            raw = _MIME_HEADER.sub(_cut_header, raw)
        msg = None
        try:
            msg = email.message_from_bytes(raw, policy=chosen)
        except Exception as exc:
            _defect(self.result, f"{type(exc).__name__} in the MIME parser: retried with compat32")
        if msg is not None and chosen is _DEFAULT and _lost_boundary(msg):
            try:
                other = email.message_from_bytes(raw, policy=policy.compat32)
                if _structure_score(other) > _structure_score(msg):
                    _defect(
                        self.result, "a MIME boundary policy.default missed: read with compat32"
                    )
                    msg = other
            except Exception:  # noqa: S110 — keep the policy.default reading
                pass
        if msg is None:
            try:
                msg = email.message_from_bytes(raw, policy=policy.compat32)
            except Exception as exc:
                _defect(self.result, f"{type(exc).__name__} in compat32 too: headers only")
                try:
                    msg = email.parser.BytesParser(policy=policy.compat32).parsebytes(
                        raw, headersonly=True
                    )
                except Exception as exc2:
                    _defect(self.result, f"unreadable message: {type(exc2).__name__}: {exc2}")
                    self.result.text = decode(raw[: 4 * 2**20], None)
                    return None
        return msg

    def _parser_defects(self, msg: Message) -> None:
        seen: set[str] = set()
        stack: list[tuple[Message, int]] = [(msg, 0)]
        while stack:
            part, depth = stack.pop()
            for found in getattr(part, "defects", ()):
                name = type(found).__name__
                if name not in seen:
                    seen.add(name)
                    _defect(self.result, f"MIME: {name}")
            payload = _payload(part)
            if isinstance(payload, list) and depth < MAX_DEPTH:
                stack.extend((p, depth + 1) for p in payload if isinstance(p, Message))

    # -- headers
    def _headers(self, msg: Message) -> None:
        raw: dict[str, list[str]] = {}
        headers = self.result.headers
        for name, value in _raw_items(msg):
            name = str(name)
            lower = name.lower()
            raw.setdefault(lower, []).append(value)
            if len(raw[lower]) == 1:  # the first occurrence wins
                dict.__setitem__(headers, name, self.text(value))
        result = self.result
        result.subject = headers.get("subject") or ""
        result.message_id = next(iter(_ids(raw.get("message-id", [""])[0])), "")
        result.in_reply_to = _ids(" ".join(raw.get("in-reply-to", [])))
        result.references = _ids(" ".join(raw.get("references", [])))
        senders = self.addresses(raw.get("from", []))
        if not senders:
            senders = self.addresses(raw.get("sender", []))
        if senders:
            result.from_name, result.from_email = senders[0]
        result.to = [a for _n, a in self.addresses(raw.get("to", []))]
        result.cc = [a for _n, a in self.addresses(raw.get("cc", []))]
        result.reply_to = [a for _n, a in self.addresses(raw.get("reply-to", []))]
        if "date" in raw:
            result.date = _date(self.text(raw["date"][0]))
            if result.date is None:
                _defect(result, "unreadable Date header")
        info = self._info(msg)
        result.content_type = info.ctype

    def text(self, value: object) -> str:
        """A header value as display text: unfolded, 8-bit and RFC 2047 decoded, spaces single."""
        return _SPACES.sub(" ", decode_words(self._unfold8(value))).strip()

    def _unfold8(self, value: object) -> str:
        text = _header_str(value)
        if not text.isascii():
            text = decode(text.encode("utf-8", "surrogateescape"), None, fallback=self.hint)
        return _FOLD.sub("", text) if "\n" in text else text

    def addresses(self, values: list[str]) -> list[tuple[str, str]]:
        """(display name, lower-cased address) pairs of address headers, repairing what
        RFC 5322 parsers reject (bare space-separated lists, unquoted names)."""
        found: list[tuple[str, str]] = []
        for value in values:
            text = self._unfold8(value)
            pairs = _getaddresses(text)
            if not any(addr for _n, addr in pairs) and "=?" in text:
                # Some mailers encode the whole "Name <address>" as one encoded word.
                pairs = _getaddresses(decode_words(text))
            cleaned = [(name, addr.strip().strip("<>").rstrip(".")) for name, addr in pairs]
            if all(_ADDRESS.match(addr) for _n, addr in cleaned if addr):
                found.extend((_display_name(n), a.lower()) for n, a in cleaned if a)
                continue
            # Not RFC 5322 ("a@x b@y", "Big Bug bb@bug.com"): take what looks like addresses.
            tokens = _ADDRESS_TOKEN.findall(text)
            rest = _ADDRESS_TOKEN.sub(" ", text) if len(tokens) == 1 else ""
            rest = rest.replace("<", " ").replace(">", " ")
            found.extend((_display_name(rest), token.strip(".").lower()) for token in tokens)
        unique: list[tuple[str, str]] = []
        seen: set[str] = set()
        for name, addr in found:
            if addr not in seen:
                seen.add(addr)
                unique.append((name, addr))
        return unique

    # -- parts
    def _info(self, part: Message) -> _Info:
        cached = self.infos.get(id(part))
        if cached is not None and cached[0] is part:
            return cached[1]
        info = self._read_info(part)
        self.infos[id(part)] = (part, info)
        return info

    def _read_info(self, part: Message) -> _Info:
        info = _Info()
        helper = Message()  # compat32: lenient parameters, RFC 2231 continuations joined
        has_type = False
        for name, value in _raw_items(part):
            lower = str(name).lower()
            if not lower.startswith("content-"):
                continue
            value = _header_str(value)[:_MAX_MIME_HEADER]
            if lower == "content-type" and not has_type:
                has_type = True
                helper.set_raw("Content-Type", self._unfold8(value))
            elif lower == "content-disposition" and "content-disposition" not in helper:
                helper.set_raw("Content-Disposition", self._unfold8(value))
            elif lower == "content-transfer-encoding" and not info.cte:
                info.cte = _SPACES.sub("", value).strip("\"'").split(";")[0].lower()
            elif lower == "content-id" and info.content_id is None:
                info.content_id = _content_id(value)
            elif lower == "content-description" and not info.description:
                info.description = self.text(value)
            elif lower == "content-location" and not info.location:
                info.location = self.text(value)
        ctype = ""
        if has_type:
            raw_type = str(helper.get("Content-Type", "")).split(";", 1)[0]
            ctype = _SPACES.sub("", raw_type).strip("\"'").lower()
        if ctype.count("/") != 1 or ctype.startswith("/") or ctype.endswith("/"):
            try:
                ctype = part.get_default_type()
            except Exception:
                ctype = "text/plain"
        info.ctype = ctype
        params = _params(helper, "content-type")
        info.charset = _param_text(params.get("charset"), self.hint)
        info.start = _param_text(params.get("start"), self.hint)
        if ctype.startswith("multipart/"):
            info.boundary = _param_text(params.get("boundary"), self.hint)
        disposition = str(helper.get("Content-Disposition", "") or "").split(";", 1)[0]
        info.disposition = _SPACES.sub("", disposition).strip("\"'").lower()
        filename = _param_text(_params(helper, "content-disposition").get("filename"), self.hint)
        filename = filename or _param_text(params.get("name"), self.hint)
        info.filename = _safe_filename(decode_words(filename)) if filename else None
        return info

    def _collect(self, part: Message, root: Message, depth: int) -> _Body:
        info = self._info(part)
        payload = _payload(part)
        if not isinstance(payload, list):
            if info.ctype.startswith("multipart/") and depth < MAX_DEPTH:
                # No part found under the declared boundary: try the one the body uses.
                found = self._recover_parts(info, self._content(part, info))
                if found is not None:
                    return self._collect(found, root, depth + 1)
            return self._leaf(part, info, root)
        if info.ctype in _REPORTS:
            self._leaf_attachment(part, info)
            return _Body()
        if info.ctype.startswith("message/"):
            inner = next((p for p in payload if isinstance(p, Message)), None)
            self._attach_message(inner, info)
            return _Body()
        if depth >= MAX_DEPTH:
            _defect(self.result, "MIME nesting too deep: the rest kept as one attachment")
            self._attach(info, "message/rfc822", self._message_bytes(part), "nested.eml")
            return _Body()
        children = [p for p in payload if isinstance(p, Message)]
        if info.ctype == "multipart/alternative":
            body = self._alternative(children, root, depth)
        elif info.ctype == "multipart/related":
            body = self._related(children, info, root, depth)
        elif info.ctype == "multipart/encrypted":
            for child in children:
                self._leaf_attachment(child, self._info(child))
            body = _Body()
        else:
            body = _Body()
            for child in children:
                body.extend(self._collect(child, root, depth + 1))
        epilogue = getattr(part, "epilogue", None)
        if epilogue and info.boundary and f"--{info.boundary}" in epilogue:
            # Parts after the closing boundary (a trick to hide files from scanners).
            data = epilogue.encode("utf-8", "surrogateescape")
            found = self._recover_parts(info, data, info.boundary)
            if found is not None:
                body.extend(self._collect(found, root, depth + 1))
        return body

    def _recover_parts(
        self, info: _Info, data: bytes, boundary: str | None = None
    ) -> Message | None:
        """A multipart re-read with the boundary its body really uses (or, for what follows
        a closing boundary, with ``boundary``), or None."""
        if self.reparses >= 3:
            return None
        problem = "MIME parts after the closing boundary"
        if boundary is None:
            problem = "MIME parts under a boundary other than the declared one"
            match = _BOUNDARY_LINE.search(data)
            if match is None:
                return None
            boundary = match.group(1).decode("ascii", "replace")
        if '"' in boundary or "\\" in boundary:
            return None
        self.reparses += 1
        head = f'Content-Type: {info.ctype}; boundary="{boundary}"\r\n\r\n'.encode()
        try:
            found = email.message_from_bytes(head + data, policy=policy.compat32)
        except Exception:
            return None
        if not isinstance(_payload(found), list) or not _payload(found):
            return None
        _defect(self.result, problem)
        return found

    def _alternative(self, children: list[Message], root: Message, depth: int) -> _Body:
        bodies: list[_Body] = []
        for child in children:
            info = self._info(child)
            if info.ctype in _ENRICHED and not isinstance(_payload(child), list):
                continue  # a poorer rendering of the same text
            bodies.append(self._collect(child, root, depth + 1))
        result = _Body()
        with_plain = [b for b in bodies if b.has("plain")]
        with_text = [b for b in bodies if b.text]
        with_html = [b for b in bodies if b.has("html", "html")]
        if with_plain:
            result.text = with_plain[0].text
        elif with_text:
            result.text = with_text[-1].text
        if with_html:
            result.html = with_html[-1].html
        elif with_plain:
            result.html = with_plain[0].html
        return result

    def _related(self, children: list[Message], info: _Info, root: Message, depth: int) -> _Body:
        if not children:
            return _Body()
        start = 0
        if info.start:
            wanted = _content_id(info.start)
            for index, child in enumerate(children):
                if self._info(child).content_id == wanted:
                    start = index
                    break
        body = self._collect(children[start], root, depth + 1)
        for index, child in enumerate(children):
            if index != start:
                child_info = self._info(child)
                if isinstance(_payload(child), list):
                    body.extend(self._collect(child, root, depth + 1))
                else:
                    self._leaf_attachment(child, child_info, inline=True)
        return body

    def _leaf(self, part: Message, info: _Info, root: Message) -> _Body:
        ctype = info.ctype
        if ctype.startswith("multipart/"):
            # A multipart header over a body with no boundary in it: the body is text.
            ctype = "text/plain"
        if ctype.startswith("message/") and ctype not in _REPORTS:
            data = self._content(part, info)
            inner = None
            if ctype in ("message/rfc822", "message/global", "message/news"):
                try:
                    inner = email.message_from_bytes(data, policy=policy.compat32)
                except Exception:
                    inner = None
            self._attach_message(inner, info, data)
            return _Body()
        is_body = (
            ctype in ("text/plain", "text/html")
            and info.disposition != "attachment"
            and (not info.filename or part is root)
        )
        if not is_body:
            self._leaf_attachment(part, info)
            return _Body()
        data = self._content(part, info)
        if ctype == "text/plain":
            if b"begin" in data and _UU_BLOCK.search(data):
                data = self._uuencoded_blocks(data)
            text = _clean_text(decode(data, info.charset, fallback=self.hint))
            return _Body(text=[("plain", text)], html=[("plain", text)])
        charset = info.charset
        if not charset:
            meta = _META_CHARSET.search(data[:4096].decode("latin-1"))
            charset = meta.group(1) if meta else None
        markup = decode(data, charset, fallback=self.hint).lstrip("\ufeff")
        return _Body(text=[("html", markup)], html=[("html", markup)])

    def _leaf_attachment(self, part: Message, info: _Info, *, inline: bool = False) -> None:
        data = self._content(part, info)
        ctype = info.ctype
        if ctype.startswith("multipart/"):
            ctype = "application/octet-stream"
        name = info.filename or _default_name(ctype, info)
        is_inline = (
            inline
            or info.disposition == "inline"
            or (info.content_id is not None and info.disposition != "attachment")
        )
        self._attach(info, ctype, data, name, inline=is_inline)

    def _attach_message(
        self, inner: Message | None, info: _Info, data: bytes | None = None
    ) -> None:
        if data is None:
            data = self._message_bytes(inner) if inner is not None else b""
        subject = ""
        if inner is not None:
            try:
                value = next((v for k, v in _raw_items(inner) if str(k).lower() == "subject"), "")
                subject = self.text(value)
            except Exception:
                subject = ""
        name = _safe_filename(subject[:150]) if subject else None
        name = f"{name}.eml" if name else (info.filename or _default_name("message/rfc822", info))
        self._attach(info, "message/rfc822", data, name)

    def _attach(
        self, info: _Info, ctype: str, data: bytes, name: str, *, inline: bool = False
    ) -> None:
        if len(data) > self.limit:
            self.result.oversized.append(name)
            return
        self.result.attachments.append(Attachment(name, ctype, data, info.content_id, inline))

    # -- bytes of parts
    def _content(self, part: Message, info: _Info) -> bytes:
        """The part's body with its transfer encoding undone, leniently."""
        payload = getattr(part, "_payload", b"")
        if isinstance(payload, list):
            return self._body_bytes(part)
        if isinstance(payload, bytes | bytearray):
            data = bytes(payload)
        else:
            payload = "" if payload is None else str(payload)
            try:
                data = payload.encode("ascii", "surrogateescape")
            except UnicodeEncodeError:
                data = payload.encode("utf-8", "surrogateescape")
        cte = info.cte
        if cte == "base64":
            return self._base64(data)
        if cte in ("quoted-printable", "quoted_printable", "qp"):
            try:
                return binascii.a2b_qp(data)
            except (binascii.Error, ValueError):
                _defect(self.result, "bad quoted-printable: kept as it came")
                return data
        if cte in _UU_CTE:
            return self._uudecode_payload(data)
        return data

    def _base64(self, data: bytes) -> bytes:
        try:
            return binascii.a2b_base64(data)
        except (binascii.Error, ValueError):
            pass
        clean = re.sub(rb"[^A-Za-z0-9+/]", b"", data.split(b"=", 1)[0] if b"=" in data else data)
        rest = len(clean) % 4
        if rest == 1:
            clean = clean[:-1]
        elif rest:
            clean += b"=" * (4 - rest)
        _defect(self.result, "bad base64: decoded what could be")
        try:
            return binascii.a2b_base64(clean)
        except (binascii.Error, ValueError):
            return b""

    def _uudecode_payload(self, data: bytes) -> bytes:
        lines = data.splitlines()
        start = 0
        for index, line in enumerate(lines):
            if _UU_BEGIN.match(line.strip()):
                start = index + 1
                break
        out = bytearray()
        for line in lines[start:]:
            if line.strip() == b"end":
                break
            out += self._uu_line(line)
        return bytes(out)

    def _uu_line(self, line: bytes) -> bytes:
        line = line.rstrip(b"\r\n")
        if not line.strip():
            return b""
        try:
            return binascii.a2b_uu(line)
        except (binascii.Error, ValueError):
            pass
        # Encoders that leave bits in the padding of a short line, or pad it wrongly: decode
        # whole groups of four characters, then keep the announced number of bytes.
        count = (line[0] - 32) & 63
        groups = (count + 2) // 3
        body = line[1 : 1 + groups * 4].ljust(groups * 4, b"`")
        try:
            return binascii.a2b_uu(bytes((32 + groups * 3,)) + body)[:count]
        except (binascii.Error, ValueError):
            _defect(self.result, "bad uuencoded line skipped")
            return b""

    def _uuencoded_blocks(self, data: bytes) -> bytes:
        """Move ``begin 644 name … end`` blocks out of a text body into attachments."""
        lines = data.splitlines(keepends=True)
        kept: list[bytes] = []
        index, count = 0, len(lines)
        while index < count:
            match = _UU_BEGIN.match(lines[index].strip())
            if match:
                stop = index + 1
                while stop < count and _looks_uuencoded(lines[stop]):
                    stop += 1
                if stop < count and lines[stop].strip() == b"end" and stop > index + 1:
                    content = b"".join(self._uu_line(line) for line in lines[index + 1 : stop])
                    name = _safe_filename(decode(match.group(1), None, fallback=self.hint))
                    name = name or "uuencoded.bin"
                    ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
                    self._attach(_Info(), ctype, content, name)
                    index = stop + 1
                    continue
            kept.append(lines[index])
            index += 1
        return b"".join(kept)

    def _message_bytes(self, msg: Message) -> bytes:
        """A forwarded message as bytes, header lines as they came."""
        try:
            out = BytesIO()
            base = _VERBATIM if isinstance(msg.policy, policy.EmailPolicy) else msg.policy
            gen = BytesGenerator(out, mangle_from_=False, policy=base.clone(linesep=self.linesep))
            gen.flatten(msg, unixfrom=False)
            data = out.getvalue()
        except Exception as exc:
            _defect(self.result, f"forwarded message re-read loosely: {type(exc).__name__}")
            try:
                return msg.as_bytes(policy=policy.compat32)
            except Exception:
                return b""
        # The generator writes an empty header as "Name: "; the sender wrote "Name:".
        sep = self.linesep.encode()
        end = data.find(sep + sep)
        if end > 0 and b": " + sep in data[: end + len(sep)]:
            head = _EMPTY_HEADER.sub(rb"\1:\2", data[: end + len(sep)])
            data = head + data[end + len(sep) :]
        return data

    def _body_bytes(self, part: Message) -> bytes:
        """The body (without the part's own headers) of a part the parser split up, such as
        message/delivery-status."""
        whole = self._message_bytes(part)
        sep = self.linesep.encode()
        if whole.startswith(sep):
            return whole[len(sep) :]
        _head, found, body = whole.partition(sep + sep)
        return body if found else whole

    # -- the end
    def _finish(self, body: _Body) -> None:
        texts = [text if kind == "plain" else htmlmod.to_text(text) for kind, text in body.text]
        self.result.text = "\n\n".join(t for t in texts if t.strip()).strip("\n")
        if any(kind == "html" for kind, _v in body.html):
            pieces = [
                text if kind == "html" else htmlmod.text_to_html(text) for kind, text in body.html
            ]
            self.result.html = htmlmod.sanitise("\n".join(pieces)).strip()


# --- helpers -------------------------------------------------------------------------------------


def decode_words(text: str) -> str:
    """RFC 2047 encoded words decoded; adjacent words of one charset are joined as bytes first
    (mailers split multi-byte characters across words), whitespace between words dropped."""
    if "=?" not in text:
        return text
    out: list[str] = []
    pending: bytearray = bytearray()
    pending_charset: str | None = None
    pos = 0

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending_charset is not None:
            out.append(decode(bytes(pending), pending_charset))
        pending, pending_charset = bytearray(), None

    for match in _ENCODED_WORD.finditer(text):
        between = text[pos : match.start()]
        if between and (pending_charset is None or between.strip()):
            flush()
            out.append(between)
        charset, encoding, encoded = match.groups()
        try:
            if encoding in "bB":
                chunk = _b64_word(encoded)
            else:
                chunk = binascii.a2b_qp(encoded.encode("ascii", "replace"), header=True)
        except (binascii.Error, ValueError):
            flush()
            out.append(match.group(0))
            pos = match.end()
            continue
        charset = charset.split("*", 1)[0].lower()
        if pending_charset is not None and charset != pending_charset:
            flush()
        pending_charset = charset
        pending += chunk
        pos = match.end()
    flush()
    out.append(text[pos:])
    return "".join(out)


def _b64_word(encoded: str) -> bytes:
    data = re.sub(r"[^A-Za-z0-9+/]", "", encoded.split("=", 1)[0])
    rest = len(data) % 4
    if rest == 1:
        data = data[:-1]
    elif rest:
        data += "=" * (4 - rest)
    return binascii.a2b_base64(data)


def _payload(part: Message) -> object:
    """The parser's payload of a part: a list of parts, or the body as it came."""
    return getattr(part, "_payload", None)


def _header_str(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("ascii", "surrogateescape")
    return str(value)


def _raw_items(msg: Message) -> list[tuple[str, str]]:
    try:
        return [(str(k), _header_str(v)) for k, v in msg.raw_items()]
    except Exception:
        return [(str(k), _header_str(v)) for k, v in getattr(msg, "_headers", [])]


def _getaddresses(text: str) -> list[tuple[str, str]]:
    try:
        return email.utils.getaddresses([text], **_GETADDRESSES_ARGS)
    except Exception:
        return [("", token) for token in _ADDRESS_TOKEN.findall(text)]


def _display_name(name: str) -> str:
    name = _SPACES.sub(" ", decode_words(name or "")).strip()
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "\"'":
        name = name[1:-1].strip()
    return name


def _ids(value: str) -> list[str]:
    value = _header_str(value)
    found = _MSGID.findall(value)
    if not found:
        bare = value.strip()
        if bare and "@" in bare and not any(c.isspace() for c in bare):
            found = [bare.strip("<>")]
    return found


def _content_id(value: str) -> str | None:
    value = _SPACES.sub("", _header_str(value))
    if value.startswith("<") and ">" in value:
        value = value[1 : value.index(">")]
    return value or None


def _date(value: str) -> datetime | None:
    if not value:
        return None
    match = _DATE_PREFIX.search(value[:200])
    candidate = match.group(0) if match else value[:100]
    try:
        parsed = email.utils.parsedate_to_datetime(candidate)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:  # "-0000": UTC, the sender's zone unknown (RFC 5322 §3.3)
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _params(helper: Message, header: str) -> dict[str, object]:
    """A header's parameters, names lower-cased, the first of each name kept."""
    if header not in helper:
        return {}
    try:
        found = helper.get_params(failobj=[], header=header)[1:]
    except Exception:
        return {}
    params: dict[str, object] = {}
    for name, value in found:
        params.setdefault(str(name).strip().lower(), value)
    return params


def _param_text(value: object, hint: str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, tuple):  # RFC 2231: (charset, language, text as Latin-1 bytes)
        charset, _language, text = value
        text = email.utils.unquote(str(text))
        return decode(text.encode("raw-unicode-escape"), charset or None, fallback=hint)
    text = email.utils.unquote(str(value))
    if not text.isascii():
        text = decode(text.encode("utf-8", "surrogateescape"), None, fallback=hint)
    return _SPACES.sub(" ", text).strip()


def _safe_filename(name: str | None) -> str | None:
    if not name:
        return None
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c >= " " and c != "\x7f")
    name = _SPACES.sub(" ", name).strip().strip(".").strip()
    if len(name.encode("utf-8")) > 200:
        _stem, dot, ext = name.rpartition(".")
        keep = ext if dot and len(ext) <= 10 else ""
        name = name.encode("utf-8")[:190].decode("utf-8", "ignore") + (f".{keep}" if keep else "")
    return name or None


def _default_name(ctype: str, info: _Info) -> str:
    """A name for an attachment that has none: its Content-Location, its description, its
    Content-ID, else its type."""
    ext = _EXTENSIONS.get(ctype) or mimetypes.guess_extension(ctype) or ".bin"
    location = _safe_filename(info.location.split("?", 1)[0]) if info.location else None
    if location and "." in location:
        return location
    stem = None
    if info.description and len(info.description) <= 80:
        stem = _safe_filename(info.description)
    if not stem and info.content_id:
        stem = _safe_filename(re.sub(r"[^\w.-]+", "_", info.content_id.split("@", 1)[0]))
    stem = stem or ctype.split("/", 1)[-1] or "attachment"
    return stem if stem.lower().endswith(ext) else stem + ext


def _clean_text(text: str) -> str:
    """Plain text with Unix line ends, no byte-order mark, no trailing spaces (but the
    signature separator's), no leading or trailing empty lines."""
    text = text.lstrip("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line if line == "-- " else line.rstrip() for line in text.split("\n")]
    return "\n".join(lines).strip("\n")


def _looks_uuencoded(line: bytes) -> bool:
    return _UU_LINE.fullmatch(line) is not None


def _charset_hint(raw: bytes) -> str | None:
    """The first charset the message declares: the best guess for its raw 8-bit headers."""
    match = _CHARSET_HINT.search(raw[:65536])
    return match.group(1).decode("ascii") if match else None


def _repair_header_names(raw: bytes) -> bytes:
    """``Subject  : x`` (obsolete RFC 822 syntax) → ``Subject: x`` in the top header block."""
    end = raw.find(b"\n\n")
    end_crlf = raw.find(b"\r\n\r\n")
    ends = [e for e in (end, end_crlf) if e >= 0]
    stop = min(ends) if ends else len(raw)
    head = raw[:stop]
    if b" :" not in head and b"\t:" not in head:
        return raw
    return _OBS_HEADER_NAME.sub(rb"\1:", head) + raw[stop:]


def _hostile_mime_headers(raw: bytes) -> bool:
    for match in _MIME_HEADER.finditer(raw):
        value = match.group(0)
        if len(value) > _HOSTILE_LENGTH:
            return True
        if any(value.count(char) > limit for char, limit in _HOSTILE_COUNTS):
            return True
    return False


def _cut_header(match: re.Match[bytes]) -> bytes:
    value = match.group(0)
    if len(value) <= _MAX_MIME_HEADER:
        return value
    return value[:_MAX_MIME_HEADER].rstrip(b"\r\n") + (b"\r" if value.endswith(b"\r") else b"")


def _lost_boundary(msg: Message) -> bool:
    stack = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        if any(isinstance(d, email.errors.StartBoundaryNotFoundDefect) for d in part.defects):
            return True
        payload = _payload(part)
        if isinstance(payload, list) and depth < MAX_DEPTH:
            stack.extend((p, depth + 1) for p in payload if isinstance(p, Message))
    return False


def _structure_score(msg: Message) -> int:
    """More parts found, fewer lost boundaries: the better reading of a broken message."""
    score = 0
    stack = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        score += 1
        if any(isinstance(d, email.errors.StartBoundaryNotFoundDefect) for d in part.defects):
            score -= 10
        payload = _payload(part)
        if isinstance(payload, list) and depth < MAX_DEPTH:
            stack.extend((p, depth + 1) for p in payload if isinstance(p, Message))
    return score
