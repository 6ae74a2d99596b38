"""Request and response bodies of API v1 (SPEC §11). Slugs and usernames name related objects."""

from __future__ import annotations

from datetime import date as Date
from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from osit.tickets.choices import Channel, Criticality, Severity, Status, Visibility, WatcherKind
from osit.tickets.models import LinkKind

StatusName = Literal[tuple(Status.values)]  # type: ignore[valid-type]
SeverityName = Literal[tuple(Severity.values)]  # type: ignore[valid-type]
CriticalityName = Literal[tuple(Criticality.values)]  # type: ignore[valid-type]
ChannelName = Literal[tuple(c for c in Channel.values if c != Channel.SYSTEM)]  # type: ignore[valid-type]
VisibilityName = Literal[tuple(Visibility.values)]  # type: ignore[valid-type]
LinkKindName = Literal[tuple(LinkKind.values)]  # type: ignore[valid-type]
WatcherKindName = Literal[tuple(WatcherKind.values)]  # type: ignore[valid-type]


class Strict(Schema):
    """An input body: unknown fields are refused (422 naming them) rather than ignored."""

    model_config = ConfigDict(extra="forbid")


class Error(Schema):
    """The one error body of the API, whatever the status code."""

    status: int = Field(description="The HTTP status code, repeated.")
    code: str = Field(
        description="not_authenticated, forbidden, not_found, conflict, invalid, "
        "rate_limited or error."
    )
    message: str = Field(description="What went wrong, in words a person can act on.")
    field: str | None = Field(None, description="The input at fault, when there is one.")
    allowed: list[str] | None = Field(
        None, description="For a refused transition: the statuses allowed from the current one."
    )


# --- directory ------------------------------------------------------------------------------


class ServiceRef(Schema):
    slug: str
    name: str


class Me(Schema):
    username: str
    name: str
    email: str
    roles: list[str]
    services: list[ServiceRef]
    language: str


class ServiceOut(Schema):
    slug: str
    name: str
    email: str
    active: bool


class ApplicationOut(Schema):
    slug: str
    name: str
    service: str | None


class UserOut(Schema):
    username: str
    name: str
    email: str
    roles: list[str]


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreateIn(Strict):
    name: str = Field("", max_length=100)
    username: str | None = Field(
        None, description="With password: create a token without a session (osit login)."
    )
    password: str | None = None


class TokenCreated(Schema):
    id: int
    name: str
    token: str = Field(description="Shown once; only its digest is stored.")


# --- tickets --------------------------------------------------------------------------------


class WatcherOut(Schema):
    username: str
    kind: WatcherKindName


class TicketOut(Schema):
    number: int
    subject: str
    description: str
    status: StatusName
    service: str | None
    application: str | None
    requester: str
    owner: str | None
    severity: SeverityName
    criticality: CriticalityName
    priority: int = Field(ge=1, le=5)
    priority_reason: str
    channel: str
    type: str
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    time_spent_minutes: int
    comment_count: int
    watchers: list[WatcherOut]
    tags: list[str]
    version: int = Field(description="Bumped by every change; send it back in If-Match.")
    url: str


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: str | None = Field(
        description="Pass it as ?cursor= for the next page; null on the last page."
    )


class TicketCreateIn(Strict):
    subject: str = Field(max_length=250)
    description: str = ""
    requester: str | None = Field(
        None, description="Username or e-mail; defaults to the caller. Agents only for others."
    )
    service: str | None = Field(
        None,
        description="Service slug. A requester may omit it: the ticket waits for first-level "
        "routing. An agent must give it or an application.",
    )
    application: str | None = None
    severity: SeverityName = Severity.MODERATE
    criticality: CriticalityName = Criticality.NON_BLOCKING
    channel: ChannelName = Channel.API


class TicketPatchIn(Strict):
    subject: str | None = Field(None, max_length=250)
    owner: str | None = Field(None, description="Username, or an empty string for nobody.")
    application: str | None = Field(None, description="Slug, or an empty string for none.")
    severity: SeverityName | None = None
    criticality: CriticalityName | None = None
    priority: int | None = Field(
        None, ge=0, le=5, description="1–5 to override (with reason); 0 back to the matrix."
    )
    reason: str | None = None
    tags: list[str] | None = None


class TransitionIn(Strict):
    status: StatusName
    comment: str = Field(description="The observation comment, required and not blank.")
    visibility: VisibilityName = Visibility.PUBLIC
    override_dependencies: bool = Field(
        False, description="Resolve or close despite open dependencies."
    )


class RerouteIn(Strict):
    service: str
    comment: str = Field(description="The justification, required and not blank.")


class CommentIn(Strict):
    body: str
    visibility: VisibilityName = Visibility.PUBLIC
    time_spent_minutes: int = Field(0, ge=0, le=24 * 60)
    activity: str | None = Field(None, description="Activity type slug of the intervention.")
    billable: bool | None = None
    date: Date | None = Field(None, description="Day of the intervention; today by default.")


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    url: str


class CommentOut(Schema):
    id: int
    author: str
    body: str
    visibility: VisibilityName
    channel: str
    created_at: datetime
    time_spent_minutes: int
    attachments: list[AttachmentOut]


class EventOut(Schema):
    id: int
    kind: str
    actor: str | None
    channel: str
    created_at: datetime
    data: dict


class WatcherIn(Strict):
    username: str
    kind: WatcherKindName = WatcherKind.CC


class LinkIn(Strict):
    kind: LinkKindName = Field(description="How this ticket relates to the target.")
    target: int = Field(ge=1, lt=2**62, description="The other ticket's number.")


class LinkOut(Schema):
    id: int
    kind: LinkKindName
    direction: Literal["outgoing", "incoming"]
    label: str = Field(description="The link read from this ticket: depends on, blocks, …")
    ticket: int
    subject: str
    status: StatusName


class MergeIn(Strict):
    into: int = Field(ge=1, lt=2**62)
    comment: str = ""


class SplitIn(Strict):
    event: int = Field(
        ge=1, lt=2**62, description="The id of the comment (or mail) that becomes a new ticket."
    )
    subject: str | None = None
