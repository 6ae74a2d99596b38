"""Schemathesis against the live OpenAPI document of a real ``osit serve`` (issue 3).

Valid and invalid requests generated from the document, for every operation: no 5xx, no status
code the document does not list, every response matching its schema and content type. The run is
seeded, so a failure reproduces.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live import initialise, osit_env, process_database, run_osit, running_server

pytestmark = pytest.mark.slow

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)


def test_the_api_conforms_to_its_openapi_document(tmp_path):
    st = Path(sys.executable).with_name("st")
    if not st.exists():
        st = Path(shutil.which("st") or "st")
    with process_database("st") as database_url:
        env = osit_env(
            tmp_path / "data",
            database_url,
            OSIT_API_RATE_LIMIT="1000000",
            OSIT_API_RATE_LIMIT_ADDRESS="1000000",
        )
        initialise(env)
        assert run_osit(["demo"], env, timeout=300).returncode == 0
        token = run_osit(["token", "create", "admin"], env).stdout.strip()
        with running_server(env, workers=1) as server:
            result = subprocess.run(
                [
                    str(st),
                    "run",
                    f"{server}/api/openapi.json",
                    "--header",
                    f"Authorization: Bearer {token}",
                    "--checks",
                    CHECKS,
                    "--max-examples",
                    "15",
                    "--seed",
                    "20261123",
                    "--generation-database",
                    "none",
                    "--workers",
                    "2",
                    "--request-timeout",
                    "30",
                ],
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
                cwd=tmp_path,
                env={"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path)},
            )
            report = result.stdout[-8000:] + result.stderr[-2000:]
            assert result.returncode == 0, report + "\n--- server log:\n" + server.log()[-6000:]
