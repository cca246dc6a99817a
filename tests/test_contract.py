"""Contract: schemathesis generates requests from our own OpenAPI and runs them in-process.

No input may cause a 5xx, and every response must match its documented status, content type,
headers and schema.
"""

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from app.main import create_app

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


# Loading the schema touches no database; the requests run after `database_url` has set one up.
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app())


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_contract(case: schemathesis.Case, database_url: str) -> None:  # type: ignore[type-arg]
    case.call_and_validate(checks=CHECKS)
