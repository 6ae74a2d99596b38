"""Django settings for OSIT, read from the environment (see docs/configuration.md).

Nothing here has a secret in it: the secret key comes from ``OSIT_SECRET_KEY`` (or ``_FILE``)
or from ``$OSIT_DATA_DIR/secret_key``, written with mode 0600 by ``osit init``.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from osit.env import (
    ConfigError,
    env_bool,
    env_int,
    env_list,
    env_path,
    env_str,
    parse_database_url,
)

PACKAGE_DIR = Path(__file__).resolve().parent

# --- Where the embedded data lives -------------------------------------------------------------
_xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
DATA_DIR = env_path("OSIT_DATA_DIR", Path(_xdg) / "osit")
SECRET_KEY_FILE = DATA_DIR / "secret_key"


def _secret_key() -> str:
    key = env_str("OSIT_SECRET_KEY")
    if key:
        if len(key) < 32:
            raise ConfigError("OSIT_SECRET_KEY must be at least 32 characters long")
        return key
    try:
        return SECRET_KEY_FILE.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        # Before `osit init` has written the key. Commands that need a real key (serve, worker)
        # refuse to start until it exists; see osit.cli.main.require_initialised.
        return "osit-not-initialised-" + "x" * 40


SECRET_KEY = _secret_key()
DEBUG = env_bool("OSIT_DEBUG", False)
BASE_URL = (env_str("OSIT_BASE_URL") or "http://127.0.0.1:8000").rstrip("/")
ALLOWED_HOSTS = env_list("OSIT_ALLOWED_HOSTS", ["*"])
CSRF_TRUSTED_ORIGINS = env_list("OSIT_CSRF_TRUSTED_ORIGINS", [BASE_URL])

# --- Database ----------------------------------------------------------------------------------
_db_url = env_str("OSIT_DATABASE_URL")
if _db_url:
    _db = parse_database_url(_db_url)
else:
    _db = parse_database_url(f"sqlite:///{DATA_DIR / 'osit.sqlite3'}")

if _db.engine.endswith("sqlite3"):
    DATABASES = {
        "default": {
            "ENGINE": _db.engine,
            "NAME": _db.name,
            "OPTIONS": {
                # IMMEDIATE takes the write lock when a transaction starts, so two writers queue
                # on `timeout` instead of one failing with "database is locked" half-way through.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;"
                ),
            },
            "TEST": {"NAME": env_str("OSIT_TEST_SQLITE_NAME")},
        }
    }
else:
    _prepare = env_bool("OSIT_DB_PREPARED_STATEMENTS", True)
    # A prepared statement's plan made once per connection (PostgreSQL's generic plan) instead
    # of PostgreSQL's default: a plan per run for the first five runs, then per run again for
    # every statement whose generic plan is estimated dearer — planning the ticket page's
    # statements on each view (issue 5; at 100k tickets, one client: ticket page 5.5 -> 4.1 ms,
    # My tickets 3.4 -> 2.9 ms). OSIT's statements filter on keys, on statuses written as
    # literals, or on a word found anywhere in a text (which no plan narrows), so one plan fits
    # every value; no page of the benchmark got slower.
    _generic_plans = _prepare and env_bool("OSIT_DB_GENERIC_PLANS", True)
    DATABASES = {
        "default": {
            "ENGINE": _db.engine,
            "NAME": _db.name,
            "USER": _db.user,
            "PASSWORD": _db.password,
            "HOST": _db.host,
            "PORT": _db.port,
            # Server-side binding lets psycopg prepare a statement on a kept connection, so
            # PostgreSQL parses it once: the ticket page's query with six joins spent 2.8 ms
            # planning and 0.25 ms running (issue 5). Prepared at its second run, not its sixth:
            # each of a server's threads has its own connection to warm, and at 5 a page's
            # first hundred views were up to 40 % slower (A/B at 100k tickets: pages 5–10 %
            # faster). Off behind a pooler that cannot keep prepared statements (PgBouncer in
            # transaction mode).
            "OPTIONS": {
                "server_side_binding": _prepare,
                **({"prepare_threshold": 1} if _prepare else {}),
                **({"options": "-c plan_cache_mode=force_generic_plan"} if _generic_plans else {}),
                **(_db.options or {}),
            },
            # A page on a new connection costs ~18 ms more than on a kept one (connecting, the
            # server's catalog caches, statements prepared again): keep them ten minutes.
            "CONN_MAX_AGE": env_int("OSIT_DB_CONN_MAX_AGE", 600, minimum=0),
            "CONN_HEALTH_CHECKS": True,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Applications ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "osit.core",
    "osit.directory",
    "osit.audit",
    "osit.tickets",
    "osit.jobs",
    "osit.api",
    "osit.mail",
    "osit.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "osit.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "osit.web.sessions.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "osit.urls"
WSGI_APPLICATION = "osit.wsgi.application"
AUTH_USER_MODEL = "directory.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# Widgets rendered in Python, same markup (osit.web.renderers; issue 5).
FORM_RENDERER = "osit.web.renderers.FastWidgetRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "osit.web.context.navigation",
                "osit.web.context.csrf",
            ],
        },
    }
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# The session, its user, their roles and services and the header's unread count are read in one
# statement (osit.web.sessions); the backend is Django's model backend answered from it.
SESSION_ENGINE = "osit.web.sessions"
AUTHENTICATION_BACKENDS = ["osit.web.sessions.SessionUserBackend"]

# --- Internationalisation ----------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_str("OSIT_TIME_ZONE", "UTC") or "UTC"
USE_TZ = True

# --- Files -------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = DATA_DIR / "attachments"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "osit.core.storage.StaticStorage"},
}
OSIT_MAX_ATTACHMENT_BYTES = env_int("OSIT_MAX_ATTACHMENT_MB", 20, minimum=1) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Security ----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = BASE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
OSIT_LOGIN_RATE_LIMIT = env_int("OSIT_LOGIN_RATE_LIMIT", 10, minimum=1)  # failures / 15 min
# API requests per minute, per user and per client address; beyond them the API answers 429.
OSIT_API_RATE_LIMIT = env_int("OSIT_API_RATE_LIMIT", 1200, minimum=1)
OSIT_API_RATE_LIMIT_ADDRESS = env_int("OSIT_API_RATE_LIMIT_ADDRESS", 3000, minimum=1)

# --- Cache (login rate limits; shared when Redis is configured) ----------------------------------
_cache_url = env_str("OSIT_CACHE_URL")
if _cache_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
        },
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
        },
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "osit_cache",
        },
        # API request counters: per process when embedded (a write per request would serialise
        # SQLite), shared by every process once Redis is configured.
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "osit-ratelimit",
        },
    }

# --- Ticket behaviour --------------------------------------------------------------------------
OSIT_TICKET_PREFIX = env_str("OSIT_TICKET_PREFIX", "OSIT") or "OSIT"
OSIT_REOPEN_WINDOW_DAYS = env_int("OSIT_REOPEN_WINDOW_DAYS", 14, minimum=0)
OSIT_AUTOCLOSE_DAYS = env_int("OSIT_AUTOCLOSE_DAYS", 7, minimum=1)
# Country calling code of the desk, to match +33 1 23… with 01 23… when a PBX opens a call.
OSIT_PHONE_COUNTRY_CODE = env_str("OSIT_PHONE_COUNTRY_CODE", "33") or "33"
OSIT_PAGE_SIZE = env_int("OSIT_PAGE_SIZE", 50, minimum=5)

# --- E-mail (SPEC §3) ----------------------------------------------------------------------------
OSIT_MAIL_FROM = env_str("OSIT_MAIL_FROM", "osit@localhost") or "osit@localhost"
OSIT_MAIL_DOMAIN = env_str("OSIT_MAIL_DOMAIN", OSIT_MAIL_FROM.rpartition("@")[2]) or "localhost"
OSIT_MAIL_LANGUAGE = env_str("OSIT_MAIL_LANGUAGE", "en") or "en"
OSIT_MAIL_DEFAULT_SERVICE = env_str("OSIT_MAIL_DEFAULT_SERVICE", "")
OSIT_MAIL_NOTIFY_ACTOR = env_bool("OSIT_MAIL_NOTIFY_ACTOR", False)
OSIT_MAIL_AUTOREPLY_LIMIT = env_int("OSIT_MAIL_AUTOREPLY_LIMIT", 5, minimum=1)  # per address / hour
OSIT_SMTP_HOST = env_str("OSIT_SMTP_HOST", "localhost") or "localhost"
OSIT_SMTP_PORT = env_int("OSIT_SMTP_PORT", 25, minimum=1)
OSIT_SMTP_USER = env_str("OSIT_SMTP_USER", "")
OSIT_SMTP_PASSWORD = env_str("OSIT_SMTP_PASSWORD", "")
OSIT_SMTP_STARTTLS = env_bool("OSIT_SMTP_STARTTLS", False)
OSIT_SMTP_SSL = env_bool("OSIT_SMTP_SSL", False)
OSIT_LMTP_HOST = env_str("OSIT_LMTP_HOST", "127.0.0.1") or "127.0.0.1"
OSIT_LMTP_PORT = env_int("OSIT_LMTP_PORT", 0, minimum=0)  # 0: no listener in osit serve
OSIT_IMAP_MAILBOXES = env_str("OSIT_IMAP_MAILBOXES", "")  # imaps://user:pw@host/INBOX?service=…

# --- Background jobs ---------------------------------------------------------------------------
OSIT_BROKER_URL = env_str("OSIT_BROKER_URL")
OSIT_JOB_TICK_SECONDS = env_int("OSIT_JOB_TICK_SECONDS", 60, minimum=1)

# --- Logging -----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("OSIT_LOG_LEVEL", "INFO") or "INFO"},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
