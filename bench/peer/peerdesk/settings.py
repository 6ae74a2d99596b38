"""Settings of the django-helpdesk peer, close to its standalone deployment (standalone/config/
settings.py upstream): DEBUG off, gunicorn, the default helpdesk options. What differs, and why:

- ``HELPDESK_TEAMS_MODE_ENABLED = False``: teams mode needs pinax-teams, an optional extra that
  ``pip install django-helpdesk`` does not bring;
- e-mail goes to the dummy backend (no SMTP here); the notification templates are still rendered;
- ``HELPDESK_STAFF_ONLY_TICKET_OWNERS`` and ``HELPDESK_STAFF_ONLY_TICKET_CC`` are on: the
  20,000 requesters have accounts (django-helpdesk shows a requester their tickets only when
  they log in), and by default every owner drop-down on the list, ticket and create pages lists
  every active user: 20,300 ``<option>``s, 2–3 s a page. The documented setting is what a
  deployment with requester accounts turns on;
- the REST API accepts DRF's ``TokenAuthentication`` (as well as session and basic): an API client
  sends a token, as OSIT's does, instead of paying a password hash on every call.

The database comes from the environment: ``PEER_DB`` = ``postgres`` (``PEER_PG_URL``, e.g.
postgres://postgres@127.0.0.1:5432/peer_bench_10000) or ``sqlite`` (``PEER_SQLITE_PATH``).
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = os.environ.get("PEER_SECRET_KEY", "peer-bench-not-secret-" + "x" * 40)
DEBUG = False
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "helpdesk",
    "rest_framework",
    "rest_framework.authtoken",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "peerdesk.urls"
WSGI_APPLICATION = "peerdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if os.environ.get("PEER_DB", "sqlite") == "postgres":
    url = urlsplit(os.environ["PEER_PG_URL"])
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": url.path.lstrip("/"),
            "USER": unquote(url.username or "postgres"),
            "PASSWORD": unquote(url.password or ""),
            "HOST": url.hostname or "127.0.0.1",
            "PORT": str(url.port or 5432),
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("PEER_SQLITE_PATH", str(BASE_DIR / "peer.sqlite3")),
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
SITE_ID = 1
LANGUAGE_CODE = "en-US"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("PEER_STATIC_ROOT", "/tmp/osit-bench-peer/static")
MEDIA_URL = "/media/"
MEDIA_ROOT = os.environ.get("PEER_MEDIA_ROOT", "/tmp/osit-bench-peer/media")
LOGIN_URL = "helpdesk:login"
LOGIN_REDIRECT_URL = "helpdesk:home"
SESSION_COOKIE_AGE = 86400

EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@bench.peer.example"
SERVER_EMAIL = DEFAULT_FROM_EMAIL

HELPDESK_TEAMS_MODE_ENABLED = False
HELPDESK_STAFF_ONLY_TICKET_OWNERS = True
HELPDESK_STAFF_ONLY_TICKET_CC = True
HELPDESK_DEFAULT_SETTINGS = {"tickets_per_page": 25}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django": {"handlers": ["console"], "level": "ERROR"}},
}
