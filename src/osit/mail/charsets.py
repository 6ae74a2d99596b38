"""Bytes → text whatever charset a sender claims; never an exception.

Mail in the wild names charsets Python does not know (``ks_c_5601-1987``, ``x-sjis``), names a
subset of what it really used (``gb2312`` for GB18030 text, ``iso-8859-1`` for Windows-1252
quotes), names the wrong one (UTF-8 labelled Latin-1), names none at all (raw 8-bit headers), or
uses ISO-2022-JP with NEC extension characters (①) that Python's ``iso2022_jp`` refuses —
Microsoft's CP50220 maps those through CP932. :func:`decode` handles all of that:

1. the declared charset through :data:`ALIASES` (the WHATWG label table's spirit: a label
   means its superset), strictly;
2. for ISO-2022-JP, the extended variants then a CP50220-style per-escape decoding;
3. UTF-8, strictly;
4. the declared multi-byte charset again with replacement characters (mostly right beats
   all wrong), else a single-byte guess: Cyrillic (KOI8-R or Windows-1251) when the text is
   mostly high bytes, else Windows-1252 with Latin-1 for its five holes — no ``\\ufffd``.
"""

from __future__ import annotations

import codecs
import functools
import re

# Labels Python does not know, or knows as a narrower charset than the one senders really use.
ALIASES: dict[str, str] = {
    "ks_c_5601-1987": "cp949",
    "ks_c_5601-1989": "cp949",
    "ks_c_5601": "cp949",
    "ksc5601": "cp949",
    "ksc_5601": "cp949",
    "korean": "cp949",
    "euc-kr": "cp949",
    "x-euc-kr": "cp949",
    "x-windows-949": "cp949",
    "windows-949": "cp949",
    "x-sjis": "cp932",
    "shift-jis": "cp932",
    "shift_jis": "cp932",
    "shiftjis": "cp932",
    "sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "csshiftjis": "cp932",
    "x-euc-jp": "euc_jp",
    "euc-jp": "euc_jp",
    "gb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "csgb2312": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "windows-936": "gb18030",
    "chinese": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "big-5": "big5hkscs",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-8-e": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "iso-8859-6-e": "iso-8859-6",
    "logical": "iso-8859-8",
    "visual": "iso-8859-8",
    "unicode-1-1-utf-7": "utf-7",
    "x-unicode-2-0-utf-7": "utf-7",
    "utf7": "utf-7",
    "utf8": "utf-8",
    "utf-8bit": "utf-8",
    "x-utf-8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "unicode": "utf-16",
    "ucs-2": "utf-16",
    # What senders mean by these labels: the Windows code page, a superset.
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "ansi_x3.4-1968": "cp1252",
    "iso-8859-9": "cp1254",
    "latin5": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "x-mac-cyrillic": "mac_cyrillic",
    "x-cp1250": "cp1250",
    "x-cp1251": "cp1251",
    "x-cp1252": "cp1252",
    "cp-850": "cp850",
    "koi8": "koi8-r",
    "x-koi8-r": "koi8-r",
    "ansi-1251": "cp1251",
}
# Declared charsets that say nothing (decode by sniffing, as if undeclared).
MEANINGLESS = {"unknown-8bit", "x-unknown", "unknown", "default", "charset", "none", "8bit", ""}
# Single-byte labels under which UTF-8 text is commonly sent: valid UTF-8 wins over them.
_UTF8_MISLABELLED = {"cp1252", "ascii", "iso8859-15", "latin-1"}
_JAPANESE_ISO2022 = ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_3")


def _latin1_fill(exc: UnicodeError) -> tuple[str, int]:
    """Error handler: an undecodable byte is read as its Latin-1 character (never ``\\ufffd``)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error("osit-latin1", _latin1_fill)


@functools.lru_cache(maxsize=512)
def codec_for(charset: str | None) -> str | None:
    """Python's codec name for a declared charset (aliases applied), or None when unknown."""
    if not charset:
        return None
    name = str(charset).strip().strip("\"'").strip().lower()
    # RFC 2231 allows a language suffix: ``utf-8*en``.
    name = name.split("*", 1)[0].strip()
    if name in MEANINGLESS:
        return None
    name = ALIASES.get(name, name)
    if name.startswith(("cp-", "windows-", "win-", "x-windows-")) and name[-4:].isdigit():
        name = "cp" + name[-4:]
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return None


def decode(data: bytes, charset: str | None = None, *, fallback: str | None = None) -> str:
    """``data`` as text, best effort, never raising.

    ``charset`` is what the sender declared; ``fallback`` a hint for undeclared 8-bit bytes (a
    raw 8-bit header read with the charset of the message's body, say).
    """
    if not data:
        return ""
    if isinstance(data, str):
        return data
    try:
        return _decode(bytes(data), charset, fallback)
    except Exception:  # a codec with a bug must not lose the text
        return bytes(data).decode("latin-1")


def _decode(data: bytes, charset: str | None, fallback: str | None) -> str:
    codec = codec_for(charset)
    if codec is None and data.isascii() and b"\x1b" not in data:
        return data.decode("ascii")
    if codec in _JAPANESE_ISO2022 or (codec is None and b"\x1b$" in data):
        return decode_iso2022_jp(data)
    if codec in _UTF8_MISLABELLED and not data.isascii():
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if codec:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            pass
        except Exception:  # noqa: S110 — some codecs raise other errors on garbage
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Mostly UTF-8 with a few bad bytes (a truncated character, a Latin-1 byte pasted in):
    # keep the UTF-8 reading; a Latin-1 text labelled UTF-8 has no valid sequence at all.
    mostly = data.decode("utf-8", errors="replace")
    bad = mostly.count("\ufffd")
    if sum(1 for char in mostly if char > "\x7f") - bad > bad:
        return mostly
    hint = codec_for(fallback)
    if hint and hint != codec:
        try:
            return data.decode(hint)
        except (UnicodeDecodeError, LookupError):
            pass
    if codec and codec not in _SINGLE_BYTE_GUESSES and codec != "utf-8":
        # A declared multi-byte charset that does not fit every byte: keep the declared reading
        # with a few replacement characters rather than a wholesale wrong guess.
        try:
            return data.decode(codec, errors="replace")
        except Exception:  # noqa: S110
            pass
    return decode_8bit(data)


_SINGLE_BYTE_GUESSES = {"cp1252", "ascii", "latin-1", "koi8-r", "cp1251"}
_HIGH = re.compile(rb"[\xc0-\xff]")
_ASCII_LETTER = re.compile(rb"[A-Za-z]")
# How common each Russian letter is in running text (per mille): scores a Cyrillic reading.
_RUSSIAN = dict(
    zip(
        "оеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъё",
        (110, 85, 80, 74, 67, 63, 55, 47, 45, 44, 35, 32, 30, 28, 26, 20, 19, 17, 17, 17, 16,
         14, 12, 10, 9, 7, 6, 5, 4, 3, 3, 1, 1),
        strict=True,
    )
)  # fmt: skip


def decode_8bit(data: bytes) -> str:
    """Undeclared 8-bit text: Cyrillic when letters are mostly high bytes, else Windows-1252.

    In Western European text accented letters are a minority; a word made only of bytes
    0xC0–0xFF is Cyrillic, and which of KOI8-R and Windows-1251 it is shows in which reading
    has the commoner letters (KOI8-R "тест" reads "ФЕУФ" in Windows-1251).
    """
    high = len(_HIGH.findall(data))
    if high >= 3 and high > len(_ASCII_LETTER.findall(data)):
        best, best_score = "", -1
        for codec in ("koi8-r", "cp1251"):
            text = data.decode(codec, errors="osit-latin1")
            score = sum(_RUSSIAN.get(char, 0) for char in text.lower())
            if score > best_score:
                best, best_score = text, score
        return best
    return data.decode("cp1252", errors="osit-latin1")


# --- ISO-2022-JP --------------------------------------------------------------------------------

_ESCAPE = re.compile(rb"\x1b(?:\$[@B]|\$\(D|\$\([OPQ]|\(B|\(J|\(I|\.A|\.F|N)")


def decode_iso2022_jp(data: bytes) -> str:
    """ISO-2022-JP, strictly if possible, else the way Windows' CP50220 reads it.

    Python's codecs reject the NEC row 13 characters (①, ㈱, Roman numerals) and the IBM
    extensions Japanese mailers put into JIS X 0208 runs; CP50220 reads every JIS run as CP932
    (Shift_JIS with those extensions). We do the same run by run.
    """
    for codec in _JAPANESE_ISO2022:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return _cp50220(data)


def _jis_to_sjis(c1: int, c2: int) -> bytes:
    # JIS X 0208 row/cell → Shift_JIS: the arithmetic of JIS X 0208 appendix 1.
    s1 = ((c1 + 1) >> 1) + (0x70 if c1 <= 0x5E else 0xB0)
    s2 = c2 + (0x1F if c1 & 1 else 0x7E)
    if c1 & 1 and s2 >= 0x7F:
        s2 += 1
    return bytes((s1 & 0xFF, s2 & 0xFF))


def _cp50220(data: bytes) -> str:
    out: list[str] = []
    mode = b"\x1b(B"
    pos = 0
    for match in _ESCAPE.finditer(data):
        out.append(_cp50220_run(data[pos : match.start()], mode))
        mode = match.group(0)
        pos = match.end()
    out.append(_cp50220_run(data[pos:], mode))
    return "".join(out)


def _cp50220_run(chunk: bytes, mode: bytes) -> str:
    if not chunk:
        return ""
    if mode in (b"\x1b$B", b"\x1b$@"):
        sjis = bytearray()
        i, n = 0, len(chunk)
        while i < n:
            c1 = chunk[i]
            if 0x21 <= c1 <= 0x7E and i + 1 < n and 0x21 <= chunk[i + 1] <= 0x7E:
                sjis += _jis_to_sjis(c1, chunk[i + 1])
                i += 2
            else:  # a line break or stray byte inside a double-byte run
                sjis.append(c1)
                i += 1
        return bytes(sjis).decode("cp932", errors="replace")
    if mode == b"\x1b(I":  # JIS X 0201 katakana: the Shift_JIS single bytes 0xA1–0xDF
        return bytes((b | 0x80) if 0x21 <= b <= 0x5F else b for b in chunk).decode(
            "cp932", errors="replace"
        )
    if mode in (b"\x1b(B", b"\x1b(J"):
        return chunk.decode("cp1252", errors="osit-latin1")
    # JIS X 0212 / 0213 runs: let the codec that knows them try, with replacements.
    return (mode + chunk + b"\x1b(B").decode("iso2022_jp_2004", errors="replace")
