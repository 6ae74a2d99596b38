"""Real mail from other projects (../shared/corpus/email, see its README) through osit mailgate:
none crashes, none is lost, and what can be asserted is asserted."""

from __future__ import annotations

import io
import json
import sys

import pytest
import yaml

from osit.cli.main import main
from osit.mail.models import InboundMessage
from osit.mail.parse import parse_message
from osit.mail.robots import classify
from tests.mail.conftest import CORPUS

SKIP_SUFFIXES = {".yml", ".json", ".tsv", ".md"}


def messages() -> list:
    if not CORPUS.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{CORPUS} is absent"))]
    return [
        pytest.param(p, id=str(p.relative_to(CORPUS / "email")))
        for p in sorted((CORPUS / "email").rglob("*"))
        if p.is_file() and p.suffix not in SKIP_SUFFIXES and p.name != "LICENSE"
    ]


class _Loader(yaml.SafeLoader):
    pass


def _any(loader, suffix, node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_Loader.add_multi_constructor("!", _any)


@pytest.mark.django_db
@pytest.mark.parametrize("path", messages())
def test_every_corpus_message_goes_through_mailgate(personas, monkeypatch, capsys, path):
    raw = path.read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    code = main(["mailgate", "--service", "appdev"])
    out = capsys.readouterr()
    assert code == 0, out.err
    stored = InboundMessage.objects.get()
    assert bytes(stored.raw) == raw  # nothing lost, byte for byte
    assert stored.status in ("applied", "recorded", "refused", "duplicate", "quarantined")
    if stored.status == "quarantined":
        pytest.fail(f"quarantined: {stored.error}")


def zammad_pairs() -> list:
    folder = CORPUS / "email" / "zammad" / "mail"
    if not folder.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{folder} is absent"))]
    return [pytest.param(p, id=p.name) for p in sorted(folder.glob("*.box"))]


def _norm(text: str) -> str:
    return " ".join((text or "").split())


@pytest.mark.parametrize("box", zammad_pairs())
def test_zammad_generic_fields(box):
    expected = yaml.load(box.with_suffix(".yml").read_text(), Loader=_Loader)  # noqa: S506
    parsed = parse_message(box.read_bytes())
    assert parsed.from_email == (expected.get("from_email") or "").lower()
    if "from_display_name" in expected:
        assert parsed.from_name == (expected.get("from_display_name") or "")
    assert parsed.subject == _norm(expected.get("subject"))
    for key, got in (("to", parsed.to), ("cc", parsed.cc)):
        if expected.get(key):
            wanted = [a.strip().lower() for a in str(expected[key]).split(",")]
            assert [a for a in wanted if "@" in a and a.split("<")[-1].rstrip(">") not in got] == []
    placeholder = _norm(expected.get("body")) in ("no visible content", "")
    if expected.get("content_type") == "text/plain" and not placeholder:
        assert _norm(parsed.text) == _norm(expected["body"])
    real = {
        a["filename"]: a
        for a in expected.get("attachments") or []
        if a.get("filename") not in ("message.html", "file")  # Zammad's invented names
        and not str(a.get("filename", "")).startswith("Delivery report")
    }
    got = {a.filename: a for a in parsed.attachments}
    for name in real:
        assert name in got, (name, list(got))


def test_out_of_office_set_is_classified_as_its_expectations_say():
    folder = CORPUS / "email" / "zammad" / "out_of_office"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    expectations = json.loads((folder / "expectations.json").read_text())["files"]
    for name, expected in expectations.items():
        robot = classify(parse_message((folder / name).read_bytes()))
        is_ooo = robot is not None and robot.kind == "auto_reply"
        assert is_ooo is expected["x-zammad-out-of-office"], name


def test_bounces_are_recognised():
    folder = CORPUS / "email"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    bounce = next((folder / "zammad" / "mail").glob("mail033*.box"))
    assert classify(parse_message(bounce.read_bytes())).kind == "bounce"
    reports = sorted((folder / "ruby-mail" / "multipart_report_emails").glob("*"))
    kinds = {p.name: (classify(parse_message(p.read_bytes())) or None) for p in reports}
    assert all(r is not None and r.kind == "bounce" for r in kinds.values()), kinds


def test_rt_charsets_decode_without_replacement_characters():
    folder = CORPUS / "email" / "rt" / "emails"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        parsed = parse_message(path.read_bytes())
        assert "\ufffd" not in parsed.subject, (path.name, parsed.subject)
