"""Demo data: the support units of seed 004, applications, people of every role, ~300 tickets.

Everything is created through the actions, with past times, so the history is realistic and
the hash chain verifies. Loading twice changes nothing (the demo admin account is the marker).

Demo accounts — for evaluation only, their passwords are weak by design (password = user name):

    admin             administrator
    manager           manager (decides enhancement requests)
    operator          call-centre operator
    operator2         call-centre operator
    tech-<service>    technician of each service: tech-monitoring, tech-network, tech-accounting,
                      tech-cloud, tech-certificates, tech-appdev, tech-systems
    tech2-network, tech2-appdev    a second technician in the busiest services
    alice, bob, carol, david, emma, farid, gina, hugo, ines, jules, karim, lea, marc, nora,
    oscar, paula, quentin, rose, samir, tania    requesters
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from osit.directory import actions as d
from osit.directory.models import Application, Service, User
from osit.tickets import actions as t
from osit.tickets.choices import Channel, Criticality, Severity, Status, Visibility, WatcherKind
from osit.tickets.models import ActivityType, Ticket

MARKER_USERNAME = "admin"
DEMO_DOMAIN = "demo.osit.example"

SERVICES = [
    ("monitoring", "Monitoring"),
    ("network", "Network"),
    ("accounting", "Accounting"),
    ("cloud", "Cloud"),
    ("certificates", "Certificates & authentication"),
    ("appdev", "Application developers"),
    ("systems", "Systems"),
]

APPLICATIONS = [
    ("payroll", "Payroll", "appdev"),
    ("intranet", "Intranet", "appdev"),
    ("crm", "CRM", "appdev"),
    ("erp", "ERP", "appdev"),
    ("webmail", "Webmail", "systems"),
    ("file-server", "File server", "systems"),
    ("backup", "Backup", "systems"),
    ("vpn", "VPN", "network"),
    ("core-router", "Core router", "network"),
    ("wifi", "Wi-Fi", "network"),
    ("nagios", "Nagios", "monitoring"),
    ("grafana", "Grafana dashboards", "monitoring"),
    ("usage-accounting", "Usage accounting", "accounting"),
    ("openstack", "OpenStack cloud", "cloud"),
    ("sso", "Single sign-on", "certificates"),
    ("pki", "Certificate authority", "certificates"),
]

ORGANISATIONS = [
    ("head-office", "Head office"),
    ("research", "Research division"),
    ("partners", "Partner labs"),
]
SITES = [("paris", "Paris"), ("lyon", "Lyon"), ("grenoble", "Grenoble")]
REQUESTERS = [
    "alice",
    "bob",
    "carol",
    "david",
    "emma",
    "farid",
    "gina",
    "hugo",
    "ines",
    "jules",
    "karim",
    "lea",
    "marc",
    "nora",
    "oscar",
    "paula",
    "quentin",
    "rose",
    "samir",
    "tania",
]

# (subject, description) per application; {app} is replaced by the application's name.
PROBLEMS = [
    ("Error message at login on {app}", "Users get 'authentication failed' since this morning."),
    ("{app} is very slow", "Pages take more than 30 seconds to load for the whole floor."),
    ("Cannot reach {app} from the Lyon site", "Timeout from Lyon, fine from Paris."),
    ("{app} crashes when exporting a report", "The export to CSV ends with an error 500."),
    ("Password reset does not work on {app}", "The reset mail never arrives."),
    ("Erreur d'authentification sur {app}", "Le message « identifiants invalides » s'affiche."),
    ("{app}: disk almost full", "Monitoring says 95 % used on the data volume."),
    ("Certificate expired on {app}", "Browsers show a security warning."),
    ("{app} lost my last changes", "What I saved yesterday afternoon is gone."),
    ("Impossible d'imprimer depuis {app}", "L'impression reste bloquée dans la file."),
]
ENHANCEMENTS = [
    ("Add an export to spreadsheet in {app}", "We need the monthly figures in a spreadsheet."),
    ("Single sign-on for {app}", "One password less to remember."),
    ("Dark mode for {app}", "Requested by the night shift."),
    ("Nouvelle colonne « site » dans {app}", "Pour filtrer par site dans les tableaux."),
]
REPLIES = [
    "Thanks, it works again for me.",
    "Still the same problem this morning.",
    "Here is the exact message I get: 'connection refused'.",
    "Merci, c'est réglé de mon côté.",
]
NOTES = [
    "Checked the server logs: connection pool exhausted.",
    "Looks like a DNS issue on the Lyon resolver.",
    "Restarted the service; monitoring back to green.",
    "Database connection fails; the cause seems to be the network configuration.",
    "Applied the vendor patch in the maintenance window.",
]


@dataclass
class DemoResult:
    created: bool
    tickets: int
    users: int


def already_loaded() -> bool:
    return User.objects.filter(username=MARKER_USERNAME).exists()


def load(*, tickets: int = 300, seed: int = 2026, now: datetime | None = None) -> DemoResult:
    """Load the demo organisation and ``tickets`` tickets; does nothing if already loaded."""
    if already_loaded():
        return DemoResult(False, Ticket.objects.count(), User.objects.count())
    now = now or timezone.now()
    rng = random.Random(seed)
    # One transaction: a failure leaves nothing half-loaded, and the next run starts afresh.
    with transaction.atomic():
        people = _directory()
        for i in range(tickets):
            _ticket_story(i, rng, people, now)
    return DemoResult(True, Ticket.objects.count(), User.objects.count())


@dataclass
class _People:
    services: dict[str, Service]
    applications: list[Application]
    technicians: dict[str, list[User]]
    operators: list[User]
    manager: User
    requesters: list[User]
    activities: list[ActivityType]


def _directory() -> _People:
    d.ensure_roles()
    for slug, name, billable in [
        ("diagnosis", "Diagnosis", True),
        ("fix", "Fix", True),
        ("call", "Phone call", True),
        ("travel", "Travel", False),
    ]:
        ActivityType.objects.get_or_create(
            slug=slug, defaults={"name": name, "billable_by_default": billable}
        )
    services = {
        slug: Service.objects.filter(slug=slug).first()
        or d.create_service(
            actor=None,
            channel=Channel.CLI,
            slug=slug,
            name=name,
            email=f"{slug}@{DEMO_DOMAIN}",
            comment_email=f"{slug}-comment@{DEMO_DOMAIN}",
        )
        for slug, name in SERVICES
    }
    applications = [
        Application.objects.filter(slug=slug).first()
        or d.create_application(
            actor=None, channel=Channel.CLI, slug=slug, name=name, service=services[svc]
        )
        for slug, name, svc in APPLICATIONS
    ]
    orgs = [
        d.create_organisation(actor=None, channel=Channel.CLI, slug=s, name=n)
        for s, n in ORGANISATIONS
    ]
    sites = [d.create_site(actor=None, channel=Channel.CLI, slug=s, name=n) for s, n in SITES]

    def user(username, role, *, services=(), first="", last="", phone="", org=None, site=None):
        return d.create_user(
            actor=None,
            channel=Channel.CLI,
            username=username,
            email=f"{username}@{DEMO_DOMAIN}",
            roles=[role],
            services=services,
            password=username,
            first_name=first,
            last_name=last,
            phone=phone,
            organisation=org,
            site=site,
            validate=False,
        )

    user("admin", "admin", first="Ada", last="Admin")
    manager = user("manager", "manager", first="Max", last="Manager")
    operators = [
        user("operator", "operator", first="Olivia", last="Operator"),
        user("operator2", "operator", first="Omar", last="Operator"),
    ]
    technicians: dict[str, list[User]] = {}
    for slug, name in SERVICES:
        technicians[slug] = [
            user(f"tech-{slug}", "technician", services=[services[slug]], first="Tech", last=name)
        ]
    for slug in ("network", "appdev"):
        technicians[slug].append(
            user(
                f"tech2-{slug}",
                "technician",
                services=[services[slug]],
                first="Second",
                last=services[slug].name,
            )
        )
    requesters = [
        user(
            name,
            "requester",
            first=name.capitalize(),
            last="Demo",
            phone=f"+33 1 {40 + i:02d} {10 + i:02d} {20 + i:02d} {30 + i:02d}",
            org=orgs[i % len(orgs)],
            site=sites[i % len(sites)],
        )
        for i, name in enumerate(REQUESTERS)
    ]
    return _People(
        services,
        applications,
        technicians,
        operators,
        manager,
        requesters,
        list(ActivityType.objects.all()),
    )


# The final status of each ticket, weighted like a real desk: most are done.
OUTCOMES = [
    (Status.CLOSED, 40),
    (Status.RESOLVED, 12),
    (Status.OPEN, 18),
    (Status.NEW, 10),
    (Status.PENDING_CUSTOMER, 8),
    (Status.PENDING_DECISION, 7),
    ("rerouted", 5),
]


def _ticket_story(i: int, rng: random.Random, p: _People, now: datetime) -> None:
    outcome = rng.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
    enhancement = outcome == Status.PENDING_DECISION or (
        outcome == Status.CLOSED and rng.random() < 0.1
    )
    app = rng.choice(p.applications)
    service = app.service
    requester = rng.choice(p.requesters)
    channel = rng.choice(
        [Channel.PHONE, Channel.PHONE, Channel.EMAIL, Channel.WEB, Channel.MONITORING, Channel.API]
    )
    subject, description = rng.choice(ENHANCEMENTS if enhancement else PROBLEMS)
    start = now - timedelta(days=rng.uniform(0.2, 90))
    clock = [start]

    def later(hours_low: float = 0.2, hours_high: float = 30) -> datetime:
        step = timedelta(hours=rng.uniform(hours_low, hours_high))
        clock[0] = min(clock[0] + step, now - timedelta(minutes=1))
        return clock[0]

    operator = rng.choice(p.operators)
    by_requester = channel == Channel.WEB
    ticket = t.create_ticket(
        actor=requester if by_requester else operator,
        channel=channel,
        requester=requester,
        subject=subject.format(app=app.name),
        description=description,
        service=service,
        application=app,
        severity=rng.choice(list(Severity)),
        criticality=Criticality.ENHANCEMENT
        if enhancement
        else rng.choice([Criticality.BLOCKING, Criticality.NON_BLOCKING, Criticality.NON_BLOCKING]),
        uploads=[
            t.Upload(
                "screenshot-notes.txt", b"Error shown at 09:12: connection refused\n", "text/plain"
            )
        ]
        if i % 25 == 0
        else (),
        now=start,
    )
    t.set_tags(ticket, actor=operator, channel=Channel.WEB, tags=["demo"], now=start)
    if outcome == Status.NEW:
        return
    if enhancement:
        if outcome == Status.PENDING_DECISION:
            return
        t.decide_enhancement(
            ticket,
            actor=p.manager,
            channel=Channel.WEB,
            accept=False,
            comment="Not this year: reviewed at the monthly meeting.",
            now=later(),
        )
        return
    techs = p.technicians[service.slug]
    tech = rng.choice(techs)
    t.take(ticket, actor=tech, channel=Channel.WEB, now=later(0.1, 4))
    if rng.random() < 0.3:
        t.add_watcher(
            ticket,
            actor=tech,
            channel=Channel.WEB,
            user=rng.choice(p.requesters),
            kind=WatcherKind.CC,
            now=later(0.1, 1),
        )
    t.add_comment(
        ticket,
        actor=tech,
        channel=Channel.WEB,
        body=rng.choice(NOTES),
        visibility=Visibility.INTERNAL,
        time_spent_minutes=rng.choice([10, 15, 30, 45, 60]),
        activity=rng.choice(p.activities),
        now=later(0.2, 6),
    )
    if outcome == "rerouted" or rng.random() < 0.1:
        target = p.services["network"] if service.slug != "network" else p.services["systems"]
        t.reroute(
            ticket,
            actor=tech,
            channel=Channel.WEB,
            service=target,
            comment="After checking the server logs, the database connection fails "
            "because of the network configuration; handing over with the logs.",
            now=later(0.5, 8),
        )
        tech = rng.choice(p.technicians[target.slug])
        t.take(ticket, actor=tech, channel=Channel.WEB, now=later(0.2, 4))
        if outcome == "rerouted":
            return
    if outcome == Status.OPEN:
        return
    t.add_comment(
        ticket,
        actor=tech,
        channel=Channel.WEB,
        body="Could you tell us when it happened exactly?",
        visibility=Visibility.PUBLIC,
        now=later(),
    )
    if outcome == Status.PENDING_CUSTOMER:
        t.change_status(
            ticket,
            actor=tech,
            channel=Channel.WEB,
            status=Status.PENDING_CUSTOMER,
            comment="Waiting for the requester's details.",
            now=later(0.1, 1),
        )
        return
    t.add_comment(
        ticket,
        actor=requester,
        channel=rng.choice([Channel.EMAIL, Channel.WEB]),
        body=rng.choice(REPLIES),
        visibility=Visibility.PUBLIC,
        now=later(),
    )
    t.add_comment(
        ticket,
        actor=tech,
        channel=Channel.WEB,
        body=rng.choice(NOTES),
        visibility=Visibility.INTERNAL,
        time_spent_minutes=rng.choice([15, 30, 90]),
        activity=rng.choice(p.activities),
        now=later(),
    )
    t.change_status(
        ticket,
        actor=tech,
        channel=Channel.WEB,
        status=Status.RESOLVED,
        comment="Fixed: please confirm it works for you.",
        now=later(),
    )
    if outcome == Status.RESOLVED:
        return
    roll = rng.random()
    if roll < 0.5:
        t.confirm_resolution(ticket, actor=requester, channel=Channel.WEB, now=later(1, 48))
    elif roll < 0.6:
        t.requester_reopen(
            ticket,
            actor=requester,
            channel=Channel.WEB,
            comment="It broke again after lunch.",
            now=later(1, 24),
        )
        t.change_status(
            ticket,
            actor=tech,
            channel=Channel.WEB,
            status=Status.CLOSED,
            comment="Root cause fixed (memory leak), closing.",
            now=later(),
        )
    else:
        t.change_status(
            ticket,
            actor=tech,
            channel=Channel.WEB,
            status=Status.CLOSED,
            comment="No answer from the requester; closing.",
            now=later(24, 72),
        )
