import pytest
from django.contrib.auth.hashers import identify_hasher

from osit.env import ConfigError, env_bool, env_int, parse_database_url


@pytest.mark.argon2
def test_passwords_are_hashed_with_argon2(personas):
    personas.alice.refresh_from_db()
    assert identify_hasher(personas.alice.password).algorithm == "argon2"


def test_bad_boolean_names_the_variable(monkeypatch):
    monkeypatch.setenv("OSIT_DEBUG", "maybe")
    with pytest.raises(ConfigError, match="OSIT_DEBUG='maybe' is not a boolean"):
        env_bool("OSIT_DEBUG", False)


def test_bad_number_names_the_variable(monkeypatch):
    monkeypatch.setenv("OSIT_AUTOCLOSE_DAYS", "soon")
    with pytest.raises(ConfigError, match="OSIT_AUTOCLOSE_DAYS='soon' is not a whole number"):
        env_int("OSIT_AUTOCLOSE_DAYS", 7)
    monkeypatch.setenv("OSIT_AUTOCLOSE_DAYS", "0")
    with pytest.raises(ConfigError, match="must be at least 1"):
        env_int("OSIT_AUTOCLOSE_DAYS", 7, minimum=1)


def test_secret_read_from_file(monkeypatch, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("s3cret\n")
    monkeypatch.delenv("OSIT_BASE_URL", raising=False)
    monkeypatch.setenv("OSIT_BASE_URL_FILE", str(secret))
    from osit.env import env_str

    assert env_str("OSIT_BASE_URL") == "s3cret"
    monkeypatch.setenv("OSIT_BASE_URL_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="OSIT_BASE_URL_FILE: cannot read"):
        env_str("OSIT_BASE_URL")


def test_database_urls():
    pg = parse_database_url("postgres://osit:p%40ss@db.example.org:5433/osit?sslmode=require")
    assert (pg.engine, pg.name, pg.user, pg.password, pg.host, pg.port) == (
        "osit.core.db.postgresql",
        "osit",
        "osit",
        "p@ss",
        "db.example.org",
        "5433",
    )
    assert pg.options == {"sslmode": "require"}
    sqlite = parse_database_url("sqlite:////var/lib/osit/db.sqlite3")
    assert sqlite.name == "/var/lib/osit/db.sqlite3"
    with pytest.raises(ConfigError, match="unsupported scheme 'mysql'"):
        parse_database_url("mysql://x/y")
    with pytest.raises(ConfigError, match="no database name"):
        parse_database_url("postgres://host/")


@pytest.mark.parametrize(("value", "prepared"), [(None, True), ("0", False), ("yes", True)])
def test_postgresql_statements_are_prepared_unless_turned_off(tmp_path, value, prepared):
    variables = {} if value is None else {"OSIT_DB_PREPARED_STATEMENTS": value}
    options = _pg_options(tmp_path, **variables)
    assert options["server_side_binding"] is prepared
    assert options.get("prepare_threshold") == (1 if prepared else None)
    # Generic plans go with prepared statements (there is no plan to keep without them).
    generic = "-c plan_cache_mode=force_generic_plan"
    assert options.get("options") == (generic if prepared else None)


def _pg_options(tmp_path, **variables):
    """The database options of the settings for PostgreSQL and ``variables``, read in a fresh
    interpreter (the test process's own settings are already loaded)."""
    import json
    import subprocess
    import sys

    env = {
        "OSIT_DATA_DIR": str(tmp_path),
        "OSIT_DATABASE_URL": "postgres://u@db.example.org:5432/osit",
        "OSIT_SECRET_KEY": "x" * 40,
        "PATH": "/usr/bin:/bin",
        **variables,
    }
    code = (
        "import json, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'osit.settings';"
        "from django.conf import settings;"
        "print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_generic_plans_can_be_turned_off_and_the_url_options_win(tmp_path):
    assert "options" not in _pg_options(tmp_path, OSIT_DB_GENERIC_PLANS="false")
    url = "postgres://u@db.example.org:5432/osit?options=-c%20work_mem%3D64MB"
    assert _pg_options(tmp_path, OSIT_DATABASE_URL=url)["options"] == "-c work_mem=64MB"


@pytest.mark.django_db
def test_postgresql_connections_keep_one_plan_per_prepared_statement():
    """What the server was told, read back from it (PostgreSQL only)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plan cache")
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_generic_plan"
