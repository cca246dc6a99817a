"""Contract: schemathesis generates requests from our own OpenAPI and runs them in-process.

No input may cause a 5xx, every response must match its documented status, content type, headers
and schema, input the schema forbids must be refused, and so must a request without a required header.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.config import SchemathesisConfig

from app.main import create_app
from tests.conftest import TokenFactory

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
    checks.missing_required_header,
]
# A write without If-Match is answered 428 Precondition Required (RFC 6585), which schemathesis does not
# expect for a missing header by default; the other statuses are its defaults.
CONFIG = SchemathesisConfig.from_dict(
    {"checks": {"missing_required_header": {"expected-statuses": ["400", "401", "403", "406", "415", "422", "428"]}}}
)


# Loading the schema touches no database; the requests run after `database_url` has set one up.
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(), config=CONFIG)


SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@schema.parametrize()
@SETTINGS
def test_api_contract(case: schemathesis.Case, database_url: str) -> None:  # type: ignore[type-arg]
    case.call_and_validate(checks=CHECKS)


@pytest.fixture
def admin_token(make_token: TokenFactory) -> str:
    """One token for all of a test's examples (an operation's examples share the database until it ends)."""
    return make_token()


@schema.parametrize()
@SETTINGS
def test_api_contract_as_admin(case: schemathesis.Case, admin_token: str) -> None:  # type: ignore[type-arg]
    """The same as an administrator: anonymous writes stop at 401, so only this run reaches their bodies,
    headers and domain checks. (An example may revoke or demote the token's own user; the rest of that
    operation's examples then check the 401 and 403 answers.)"""
    case.call_and_validate(checks=CHECKS, headers={"Authorization": f"Bearer {admin_token}"})
