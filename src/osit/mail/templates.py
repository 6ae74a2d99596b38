"""The notification mails, per event and language (English and French shipped).

Each is a subject, a text part and an HTML part in Django's template language, with the context
``ticket``, ``number``, ``subject``, ``comment`` (text), ``actor``, ``status``, ``service``,
``url``, ``days``. An administrator's ``MailTemplate`` row (admin site) replaces the shipped
version of that event and language.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import connections, router
from django.template import Context, Engine, Template

ENGINE = Engine(autoescape=False)
HTML_ENGINE = Engine(autoescape=True)

EVENTS = (
    "acknowledgement",
    "public_reply",
    "internal_note",
    "status_changed",
    "resolved",
    "rerouted",
    "refused",
)

_FOOTER_EN = "\n\n-- \n{{ service }} · ticket #{{ number }} · {{ url }}\n"
_FOOTER_FR = "\n\n-- \n{{ service }} · ticket #{{ number }} · {{ url }}\n"

SHIPPED: dict[tuple[str, str], tuple[str, str]] = {
    ("acknowledgement", "en"): (
        "Your request is registered: {{ subject }}",
        "Hello,\n\nWe have received your request and registered it as ticket #{{ number }}. "
        "Keep this number; reply to this message to add information.\n\n> {{ subject }}"
        + _FOOTER_EN,
    ),
    ("acknowledgement", "fr"): (
        "Votre demande est enregistrée : {{ subject }}",
        "Bonjour,\n\nNous avons bien reçu votre demande et l'avons enregistrée sous le numéro "
        "#{{ number }}. Conservez ce numéro ; répondez à ce message pour compléter votre "
        "demande.\n\n> {{ subject }}" + _FOOTER_FR,
    ),
    ("public_reply", "en"): (
        "{{ subject }}",
        "{{ actor }} wrote:\n\n{{ comment }}" + _FOOTER_EN,
    ),
    ("public_reply", "fr"): (
        "{{ subject }}",
        "{{ actor }} a écrit :\n\n{{ comment }}" + _FOOTER_FR,
    ),
    ("internal_note", "en"): (
        "Internal note: {{ subject }}",
        "{{ actor }} added an internal note (not sent to the requester):\n\n{{ comment }}"
        + _FOOTER_EN,
    ),
    ("internal_note", "fr"): (
        "Note interne : {{ subject }}",
        "{{ actor }} a ajouté une note interne (non envoyée au demandeur) :\n\n{{ comment }}"
        + _FOOTER_FR,
    ),
    ("status_changed", "en"): (
        "Now {{ status }}: {{ subject }}",
        "{{ actor }} changed the status of ticket #{{ number }} to {{ status }}."
        "{% if comment %}\n\n{{ comment }}{% endif %}" + _FOOTER_EN,
    ),
    ("status_changed", "fr"): (
        "Maintenant {{ status }} : {{ subject }}",
        "{{ actor }} a passé le ticket #{{ number }} au statut {{ status }}."
        "{% if comment %}\n\n{{ comment }}{% endif %}" + _FOOTER_FR,
    ),
    ("resolved", "en"): (
        "Resolved — is it fixed? {{ subject }}",
        "{{ actor }} marked ticket #{{ number }} resolved:\n\n{{ comment }}\n\nIf it works, "
        "nothing more is needed: the ticket closes by itself in {{ days }} days. If it is not "
        "fixed, reply to this message and say what is still wrong." + _FOOTER_EN,
    ),
    ("resolved", "fr"): (
        "Résolu — est-ce réglé ? {{ subject }}",
        "{{ actor }} a marqué le ticket #{{ number }} comme résolu :\n\n{{ comment }}\n\nSi "
        "cela fonctionne, vous n'avez rien à faire : le ticket se clôturera de lui-même dans "
        "{{ days }} jours. Sinon, répondez à ce message en disant ce qui ne va toujours pas."
        + _FOOTER_FR,
    ),
    ("rerouted", "en"): (
        "Re-routed to {{ service }}: {{ subject }}",
        "{{ actor }} re-routed ticket #{{ number }} to {{ service }}." + _FOOTER_EN,
    ),
    ("rerouted", "fr"): (
        "Re-routé vers {{ service }} : {{ subject }}",
        "{{ actor }} a re-routé le ticket #{{ number }} vers {{ service }}." + _FOOTER_FR,
    ),
    ("refused", "en"): (
        "Your message was not accepted: {{ subject }}",
        "Hello,\n\nThis address only accepts messages from people the service desk knows, so "
        "your message was not registered. Please contact the service desk by another way or "
        "ask to be registered.\n\n-- \n{{ service }}\n",
    ),
    ("refused", "fr"): (
        "Votre message n'a pas été accepté : {{ subject }}",
        "Bonjour,\n\nCette adresse n'accepte que les messages des personnes connues du support ; "
        "votre message n'a donc pas été enregistré. Merci de contacter le support par un autre "
        "moyen ou de demander à être enregistré.\n\n-- \n{{ service }}\n",
    ),
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _html_from_text(text: str) -> str:
    from django.utils.html import escape, urlize

    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    body = "".join("<p>" + urlize(escape(p)).replace("\n", "<br>\n") + "</p>\n" for p in paragraphs)
    return f'<!doctype html>\n<html><body style="font-family: sans-serif">\n{body}</body></html>\n'


@lru_cache(maxsize=256)
def _compiled(source: str, html: bool = False) -> Template:
    return (HTML_ENGINE if html else ENGINE).from_string(source)


# MailTemplate's table; (event, language) is unique and the three columns are plain text.
_CUSTOM = 'SELECT subject, "text", html FROM mail_mailtemplate WHERE event = %s AND language = %s'


def _custom(event: str, language: str) -> tuple[str, str, str] | None:
    """The administrator's (subject, text, html) of ``event`` in ``language``, if there is one.

    Read with every mail: by hand, as the ORM would take several times the query's own time."""
    from osit.mail.models import MailTemplate

    connection = connections[router.db_for_read(MailTemplate)]
    with connection.cursor() as cursor:
        cursor.execute(_CUSTOM, [event, language])
        row = cursor.fetchone()
    return None if row is None else (row[0], row[1], row[2])


def render(event: str, language: str, context: dict[str, Any]) -> Rendered:
    language = language if (event, language) in SHIPPED else "en"
    custom = _custom(event, language)
    if custom is not None:
        subject_src, text_src, html_src = custom
    else:
        subject_src, text_src = SHIPPED[(event, language)]
        html_src = ""
    ctx = Context(context, autoescape=False)
    subject = " ".join(_compiled(subject_src).render(ctx).split())
    text = _compiled(text_src).render(ctx)
    html = _compiled(html_src, True).render(Context(context)) if html_src else _html_from_text(text)
    return Rendered(subject, text, html)
