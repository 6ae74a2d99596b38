"""Fail when a shipped translation is incomplete or its compiled .mo is out of date.

Django loads the compiled ``.mo`` files, which are committed so that a fresh machine needs no GNU
gettext. This compares each ``.po`` with its ``.mo`` using only the standard library.
"""

from __future__ import annotations

import ast
import gettext
import sys
from pathlib import Path

LOCALE = Path(__file__).resolve().parent.parent / "src" / "osit" / "locale"


def parse_po(path: Path) -> tuple[dict[tuple[str | None, str], str], list[str]]:
    entries: dict[tuple[str | None, str], str] = {}
    problems: list[str] = []
    ctx = msgid = msgstr = None
    fuzzy = plural = False
    current = None

    def flush() -> None:
        nonlocal ctx, msgid, msgstr, fuzzy, plural
        if msgid:  # the header has an empty msgid
            if fuzzy:
                problems.append(f"fuzzy: {msgid!r}")
            elif not msgstr and not plural:
                problems.append(f"untranslated: {msgid!r}")
            elif not plural:
                entries[(ctx, msgid)] = msgstr or ""
        ctx = msgid = msgstr = None
        fuzzy = plural = False

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            current = None
            continue
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        if line.startswith("#"):
            continue
        if line.startswith("msgctxt "):
            flush()
            ctx, current = ast.literal_eval(line[8:]), "ctx"
        elif line.startswith("msgid_plural "):
            plural, current = True, "plural"
        elif line.startswith("msgid "):
            if msgid is not None:
                flush()
            msgid, current = ast.literal_eval(line[6:]), "id"
        elif line.startswith("msgstr[") :
            value = ast.literal_eval(line.split(" ", 1)[1])
            if not value:
                problems.append(f"untranslated plural: {msgid!r}")
            current = "plural_str"
        elif line.startswith("msgstr "):
            msgstr, current = ast.literal_eval(line[7:]), "str"
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if current == "ctx":
                ctx = (ctx or "") + value
            elif current == "id":
                msgid = (msgid or "") + value
            elif current == "str":
                msgstr = (msgstr or "") + value
    flush()
    return entries, problems


def main() -> int:
    failures = []
    for po in sorted(LOCALE.glob("*/LC_MESSAGES/django.po")):
        entries, problems = parse_po(po)
        failures += [f"{po}: {p}" for p in problems]
        mo = po.with_suffix(".mo")
        if not mo.exists():
            failures.append(f"{mo} is missing: run `osit manage compilemessages`")
            continue
        with mo.open("rb") as handle:
            catalog = gettext.GNUTranslations(handle)
        for (ctx, msgid), msgstr in entries.items():
            got = catalog.pgettext(ctx, msgid) if ctx else catalog.gettext(msgid)
            if got != msgstr:
                failures.append(f"{mo} is out of date ({msgid!r}): run `osit manage compilemessages`")
                break
    for failure in failures[:50]:
        print(failure, file=sys.stderr)
    if failures:
        print(f"{len(failures)} translation problem(s)", file=sys.stderr)
        return 1
    print("translations complete and compiled")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
