"""HTML mail: sanitised for display (nh3) and turned into plain text for the ticket.

The converter is deliberately small: block elements end lines, ``<br>`` breaks them, list items
start with "- ", links keep their target as "text (url)", quoted blocks get "> ", tables put
cells side by side; scripts, styles and the head are dropped. Its output is whitespace-normalised
the way a person would type it: single spaces inside lines, at most one blank line in a row.
"""

from __future__ import annotations

import html as htmllib
import re
from html.parser import HTMLParser

import nh3

# HTMLParser has inputs on which it is slower than linear (unclosed constructs); mail bodies
# over this size are converted from their beginning only.
MAX_HTML_FOR_TEXT = 2 * 2**20

_PARAGRAPH = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "pre", "blockquote",
    "address", "figure", "fieldset", "form",
}  # fmt: skip
_LINE = {
    "div", "li", "tr", "dt", "dd", "section", "article", "header", "footer", "nav", "aside",
    "main", "center", "caption", "figcaption", "details", "summary", "hr", "legend", "option",
    "body", "html", "tbody", "thead", "tfoot", "map", "frameset", "noscript",
}  # fmt: skip
_CELL = {"td", "th"}
_SKIP = {"script", "style", "head", "title", "template", "svg", "math", "object", "iframe"}
_VOID = {"br", "hr", "img", "input", "meta", "link", "wbr", "col", "area", "base", "source"}
_SPACES = re.compile(r"[ \t\r\n\f\v\u200b\u00a0]+")
_BLANKS = re.compile(r"\n{3,}")
_LINK_SCHEMES = ("http://", "https://", "ftp://")


# ``cid:`` keeps inline images (attachments with that Content-ID) for the page to resolve.
URL_SCHEMES = {*nh3.ALLOWED_URL_SCHEMES, "cid"}


def sanitise(html: str) -> str:
    """HTML safe to show in a page: no script, no event handler, no style, no form. Remote
    images are kept (as ``src``): blocking them is the page's choice."""
    if not html:
        return ""
    try:
        return nh3.clean(html, link_rel="noopener noreferrer nofollow", url_schemes=URL_SCHEMES)
    except Exception:
        return htmllib.escape(html)


def text_to_html(text: str) -> str:
    """Plain text as an HTML fragment (for a mail that mixes text and HTML parts)."""
    if not text.strip():
        return ""
    escaped = htmllib.escape(text.strip("\n")).replace("\r\n", "\n")
    return "<p>" + escaped.replace("\n", "<br>\n") + "</p>\n"


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []  # finished lines
        self.line: list[str] = []  # the line being built
        self.skip = 0
        self.pre = 0
        self.quote = 0
        self.lists: list[list[int]] = []  # per open list: [ordered?, counter]
        self.links: list[tuple[str, int]] = []  # href, length of self.line at the <a>
        self.blank_wanted: int | None = None  # quote depth when an empty line was asked for

    # -- output helpers
    def _break(self, blank: bool = False) -> None:
        """End the line being built; ``blank`` asks for an empty line before the next text."""
        text = "".join(self.line)
        self.line = []
        prefix = "> " * self.quote
        rows = text.split("\n") if self.pre else [_SPACES.sub(" ", text).strip()]
        for row in rows:
            if not self.pre and not row:
                continue
            if self.blank_wanted is not None and self.lines:
                self.lines.append(("> " * min(self.blank_wanted, self.quote)).rstrip())
            self.blank_wanted = None
            self.lines.append((prefix + row).rstrip())
        if blank:
            self.blank_wanted = self.quote

    # -- parser callbacks
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            if tag not in _VOID:
                self.skip += 1
            return
        if self.skip:
            return
        if tag == "br":
            if self.pre:
                self.line.append("\n")
            elif "".join(self.line).strip():
                self._break()
            elif self.lines:  # a second <br> in a row: an empty line
                self.lines.append(("> " * self.quote).rstrip())
            return
        if tag in _PARAGRAPH:
            self._break(blank=True)
            if tag == "pre":
                self.pre += 1
            elif tag == "blockquote":
                self.quote += 1
            elif tag in ("ul", "ol"):
                self.lists.append([tag == "ol", 0])
        elif tag in _LINE:
            self._break()
            if tag == "hr":
                self.lines.append("> " * self.quote + "---")
            elif tag == "li":
                marker = "- "
                if self.lists and self.lists[-1][0]:
                    self.lists[-1][1] += 1
                    marker = f"{self.lists[-1][1]}. "
                self.line.append("  " * max(0, len(self.lists) - 1) + marker)
        elif tag in _CELL:
            if self.line and "".join(self.line).strip():
                self.line.append("  ")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self.links.append((href.strip(), len(self.line)))
        elif tag == "img":
            alt = (dict(attrs).get("alt") or "").strip()
            if alt:
                self.line.append(f" {alt} ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID or tag == "br":
            self.handle_starttag(tag, attrs)
        else:
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if tag in _PARAGRAPH:
            self._break(blank=True)
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
            elif tag == "blockquote":
                self.quote = max(0, self.quote - 1)
            elif tag in ("ul", "ol") and self.lists:
                self.lists.pop()
        elif tag in _LINE:
            self._break()
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = _SPACES.sub(" ", "".join(self.line[start:])).strip()
            if href.lower().startswith(_LINK_SCHEMES) and not _same_target(label, href):
                self.line.append(f" ({href})" if label else href)

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.line.append(data)

    def text(self) -> str:
        self._break()
        return "\n".join(self.lines).strip("\n")


def _same_target(label: str, href: str) -> bool:
    """True when the link text already says where it goes (no need to repeat the URL)."""

    def bare(url: str) -> str:
        url = url.lower().strip()
        for scheme in _LINK_SCHEMES:
            if url.startswith(scheme):
                url = url[len(scheme) :]
        return url.removeprefix("www.").rstrip("/")

    return not label or bare(label) == bare(href)


def to_text(html: str) -> str:
    """A readable plain-text rendering of an HTML mail body; never raises."""
    if not html:
        return ""
    html = html[:MAX_HTML_FOR_TEXT]
    converter = _Converter()
    try:
        converter.feed(html)
        converter.close()
        text = converter.text()
    except Exception:
        text = re.sub(r"<[^>]*>", " ", html)
        text = htmllib.unescape(text)
    return normalise(text)


def normalise(text: str) -> str:
    """Whitespace the way a person types it: no trailing spaces, at most one blank line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANKS.sub("\n\n", text).strip("\n")
