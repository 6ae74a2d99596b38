"""A YAML reader just big enough for Zammad's ``test/data/mail/mailNNN.yml`` files.

Those files are Ruby ``HashWithIndifferentAccess`` dumps: nested mappings and sequences, plain,
single- and double-quoted scalars that may span lines, ``|``/``|-``/``|+`` block scalars, Ruby
tags (ignored) and ``!binary`` (base64 → bytes). PyYAML is not a dependency of OSIT, so the
tests read them with this; ``test_parse.py`` checks it against PyYAML when that is installed.
"""

from __future__ import annotations

import base64
import re

_KEY = re.compile(
    r"""^(?P<key>'(?:[^']|'')*'|"(?:[^"\\]|\\.)*"|[^\s'"#\-][^:]*?|-[^\s:][^:]*?)"""
    r""":(?:[ \t]+(?P<rest>.*))?$"""
)
_ESCAPES = {
    "n": "\n", "t": "\t", "r": "\r", "0": "\0", '"': '"', "\\": "\\", "/": "/", " ": " ",
    "a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "v": "\v", "N": "\x85", "_": "\xa0",
    "L": "\u2028", "P": "\u2029",
}  # fmt: skip


class YamlError(ValueError):
    pass


def load(text: str) -> object:
    lines = text.replace("\r\n", "\n").split("\n")
    reader = _Reader(lines)
    reader.skip_blank()
    if reader.i < len(lines) and lines[reader.i].startswith("---"):
        rest = lines[reader.i][3:].strip()
        reader.i += 1
        if rest and not rest.startswith("!"):
            return reader.scalar_value(rest, -1)
    reader.skip_blank()
    if reader.i >= len(lines):
        return None
    return reader.block(_indent(lines[reader.i]))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


class _Reader:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.i = 0

    def skip_blank(self) -> None:
        while self.i < len(self.lines) and (
            not self.lines[self.i].strip() or self.lines[self.i].lstrip().startswith("#")
        ):
            self.i += 1

    def block(self, indent: int) -> object:
        line = self.lines[self.i]
        if line[indent:].startswith("- ") or line[indent:] == "-":
            return self.sequence(indent)
        return self.mapping(indent)

    def sequence(self, indent: int) -> list[object]:
        items: list[object] = []
        while True:
            self.skip_blank()
            if self.i >= len(self.lines):
                return items
            line = self.lines[self.i]
            if _indent(line) != indent or not (
                line[indent:].startswith("- ") or line[indent:] == "-"
            ):
                return items
            rest = line[indent + 2 :].strip() if len(line) > indent + 1 else ""
            if rest and _KEY.match(rest):  # "- key: value" opens a mapping
                self.lines[self.i] = " " * (indent + 2) + rest
                items.append(self.mapping(indent + 2))
            else:
                self.i += 1
                items.append(self.value_after(rest, indent))

    def mapping(self, indent: int) -> dict[str, object]:
        result: dict[str, object] = {}
        while True:
            self.skip_blank()
            if self.i >= len(self.lines):
                return result
            line = self.lines[self.i]
            if _indent(line) != indent or line[indent:].startswith("- "):
                return result
            match = _KEY.match(line[indent:])
            if not match:
                raise YamlError(f"line {self.i + 1}: expected 'key: value': {line!r}")
            key = match.group("key")
            if key[:1] in "'\"":
                key = _quoted_text(key[1:-1], key[0])
            self.i += 1
            result[key] = self.value_after((match.group("rest") or "").strip(), indent)

    def value_after(self, rest: str, indent: int) -> object:
        """The value that follows ``key:`` or ``-`` (``rest`` is the text after it)."""
        binary = False
        if rest.startswith("!"):
            tag, _, rest = rest.partition(" ")
            binary = tag == "!binary"
            rest = rest.strip()
        if not rest:
            self.skip_blank()
            if self.i >= len(self.lines):
                return None
            nxt = self.lines[self.i]
            child = _indent(nxt)
            if child > indent or (child == indent and nxt[indent:].startswith("- ")):
                return self.block(child)
            return None
        value = self.scalar_value(rest, indent)
        if binary and isinstance(value, str):
            return base64.b64decode("".join(value.split()))
        return value

    def scalar_value(self, rest: str, indent: int) -> object:
        if rest[0] in "|>":
            return self.block_scalar(rest, indent)
        if rest[0] in "'\"":
            return self.quoted(rest, indent)
        if rest in ("[]", "{}"):
            return [] if rest == "[]" else {}
        # A plain scalar, continued on more-indented lines (folded with single spaces).
        parts = [rest]
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.strip() and _indent(line) <= indent:
                break
            if not line.strip():
                # A blank line inside a plain scalar is a line break; at its end, nothing.
                look = self.i + 1
                while look < len(self.lines) and not self.lines[look].strip():
                    look += 1
                if look >= len(self.lines) or _indent(self.lines[look]) <= indent:
                    break
                parts.append("\n")
            else:
                parts.append(line.strip())
            self.i += 1
        text = _fold(parts)
        return {"true": True, "false": False, "~": None, "null": None}.get(text, text)

    def block_scalar(self, header: str, indent: int) -> str:
        chomp = "+" if "+" in header else "-" if "-" in header else ""
        raw: list[str] = []
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.strip() and _indent(line) <= indent:
                break
            raw.append(line)
            self.i += 1
        content = [line for line in raw if line.strip()]
        if not content:
            return ""
        block_indent = min(_indent(line) for line in content)
        body = [line[block_indent:] for line in raw]
        # Trailing empty lines belong to the scalar only with "+" chomping.
        while body and not body[-1].strip():
            body.pop()
        trailing = len(raw) - len(body)
        text = "\n".join(body)  # (the folded style, ">", does not occur in these files)
        if chomp == "-":
            return text
        if chomp == "+":
            return text + "\n" * (1 + trailing - (1 if self.i >= len(self.lines) else 0))
        return text + "\n"

    def quoted(self, rest: str, indent: int) -> str:
        quote = rest[0]
        pieces = [rest[1:]]
        while True:
            joined = "\n".join(pieces)
            end = _closing(joined, quote)
            if end is not None:
                tail = joined[end + 1 :].strip()
                if tail and not tail.startswith("#"):
                    raise YamlError(f"line {self.i + 1}: text after a quoted scalar: {tail!r}")
                return _quoted_text(joined[:end], quote)
            if self.i >= len(self.lines):
                raise YamlError("unterminated quoted scalar")
            pieces.append(self.lines[self.i])
            self.i += 1


def _closing(text: str, quote: str) -> int | None:
    i = 0
    while i < len(text):
        char = text[i]
        if quote == '"' and char == "\\":
            i += 2
            continue
        if char == quote:
            if quote == "'" and text[i + 1 : i + 2] == "'":
                i += 2
                continue
            return i
        i += 1
    return None


def _fold(parts: list[str]) -> str:
    out = ""
    for index, part in enumerate(parts):
        if part == "\n":
            out += "\n"
        elif index == 0 or out.endswith("\n"):
            out += part
        else:
            out += " " + part
    return out


def _quoted_text(text: str, quote: str) -> str:
    """The value of a quoted scalar, its line breaks folded: inner lines lose their indentation,
    a single break becomes a space, each empty line a newline, and in double quotes a line
    ending with a backslash continues without a space."""
    lines = text.split("\n")
    last = len(lines) - 1
    out = ""
    empties = 0
    for index, line in enumerate(lines):
        if index > 0:
            line = line.lstrip(" \t")
        if index < last and not (quote == '"' and _escaped_break(line)):
            line = line.rstrip(" \t")
        if index == 0:
            out = line
        elif not line and index < last:
            empties += 1
        else:
            if quote == '"' and _escaped_break(out):
                out = out[:-1] + line
            elif empties:
                out += "\n" * empties + line
            else:
                out += " " + line
            empties = 0
    if quote == "'":
        return out.replace("''", "'")
    return _unescape(out)


def _escaped_break(line: str) -> bool:
    return (len(line) - len(line.rstrip("\\"))) % 2 == 1


def _unescape(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "\\" or i + 1 >= len(text):
            out.append(char)
            i += 1
            continue
        code = text[i + 1]
        if code in _ESCAPES:
            out.append(_ESCAPES[code])
            i += 2
        elif code in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[code]
            out.append(chr(int(text[i + 2 : i + 2 + width], 16)))
            i += 2 + width
        else:
            raise YamlError(f"unknown escape \\{code}")
    return "".join(out)
