"""The vocabulary of the benchmark desks: service names and the words of subjects and texts.

Plain lists, no imports: OSIT's generator (``osit.bench.generate``) and the django-helpdesk
peer's (``bench/peer/shape.py``, which runs where OSIT is not installed) share them, so a search
for a word finds a similar share of tickets in both.
"""

from __future__ import annotations

import random

SERVICE_NAMES = [
    "Service desk",
    "Network",
    "Systems",
    "Monitoring",
    "Accounting",
    "Cloud",
    "Certificates & authentication",
    "Application developers",
    "Databases",
    "Storage",
    "Workstations",
    "Telephony",
    "Security",
    "Identity",
    "Printing",
    "Web hosting",
    "ERP team",
    "Data platform",
    "Mail",
    "Facilities IT",
]
NOUNS = [
    "login",
    "VPN",
    "printer",
    "payslip",
    "report",
    "dashboard",
    "backup",
    "mailbox",
    "certificate",
    "database",
    "disk",
    "invoice",
    "export",
    "badge",
    "laptop",
    "Wi-Fi",
    "calendar",
    "share",
    "licence",
    "password",
    "screen",
    "API",
    "job",
    "queue",
    "cluster",
    "firewall",
    "DNS",
    "proxy",
]
PROBLEMS = [
    "does not work",
    "is very slow",
    "fails with an error",
    "times out",
    "shows a blank page",
    "refuses my password",
    "is unavailable",
    "gives wrong figures",
    "crashes at start-up",
    "cannot be reached",
    "asks for a new feature",
    "must be renewed",
]
SENTENCES = [
    "Since this morning the {n} {p}.",
    "Users on the second floor report that the {n} {p}.",
    "I restarted the {n} service; it still {p}.",
    "The log shows a timeout on the {n}.",
    "Could you check the {n} configuration?",
    "Workaround given: use the backup {n} for now.",
    "The {n} was patched last night.",
    "It happens only on Mondays, when the {n} is busy.",
    "We are waiting for the supplier about the {n}.",
    "Error code 0x{code:04X} on the {n}.",
    "Tested again: the {n} works for me now.",
    "Escalated to the vendor; case {code}.",
]


def text(rng: random.Random) -> str:
    """One to three sentences about a thing that fails, drawn from ``rng``."""
    return " ".join(
        rng.choice(SENTENCES).format(
            n=rng.choice(NOUNS), p=rng.choice(PROBLEMS), code=rng.randrange(65536)
        )
        for _ in range(rng.randint(1, 3))
    )
