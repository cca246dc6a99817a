"""OpenAPI details FastAPI cannot infer: problem+json error responses, ETag headers, required If-Match."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field


class FieldProblem(BaseModel):
    loc: list[str] = Field(description="Where the problem is, e.g. ['body', 'forms', '0']")
    field: str = Field(description="The field path without its location, e.g. 'forms.0'")
    pointer: str | None = Field(description="JSON pointer into the request body, when the problem is there")
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(description="A stable identifier of the kind of problem, e.g. /problems/stale-version")
    title: str
    status: int
    detail: str = Field(description="What went wrong, for a person")
    instance: str
    errors: list[FieldProblem] | None = Field(default=None, description="Field errors (validation problems)")


_DESCRIPTIONS = {
    400: "Bad request: a body that is not JSON, or a cursor this API did not issue",
    401: "No valid credentials: log in or send `Authorization: Bearer <token>`",
    403: "Authenticated, but not allowed to do this",
    404: "Not found",
    409: "Conflict with the current state (duplicate key, reference data)",
    412: "If-Match names a version that is no longer current",
    422: "Invalid input (`/problems/personal-data` when a text holds a national identity number); `errors` lists"
    " each field",
    428: "If-Match is required for this write",
    429: "Too many failed attempts; see Retry-After",
}

ETAG_HEADER = {"ETag": {"description": "The version, for If-Match on the next write", "schema": {"type": "string"}}}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for the problem statuses an operation can answer with."""
    return {code: {"model": Problem, "description": _DESCRIPTIONS[code]} for code in sorted({*codes, 400, 422})}


def with_etag(status: int = 200, description: str = "Successful Response") -> dict[int | str, dict[str, Any]]:
    return {status: {"headers": ETAG_HEADER, "description": description}}


def install(app: FastAPI) -> None:
    """Generate the schema once, moving error bodies to application/problem+json."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearerToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "An API token (rk_…) created at POST /api/v1/tokens or with `rehabkart tokens create`",
            },
            "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "rehabkart_session"},
        }
        # Catalogue reads are public by default; everything else needs one of the two.
        schema["security"] = [{"bearerToken": []}, {"sessionCookie": []}, {}]
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if status.startswith(("4", "5")) and "application/json" in content:
                        content["application/problem+json"] = content.pop("application/json")
                if "428" in operation.get("responses", {}):
                    _require_if_match(operation)
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]


def _require_if_match(operation: dict[str, Any]) -> None:
    """Document If-Match as required on an operation that answers 428 without it.

    The handlers declare the header optional so that a missing one reaches the domain, which answers
    428 Precondition Required with a problem document; FastAPI's own check of a required header would
    answer 422. The schema still has to say that the header is required.
    """
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "header" and parameter.get("name", "").lower() == "if-match":
            parameter["required"] = True
            schema = parameter.get("schema", {})
            not_null = [s for s in schema.pop("anyOf", []) if s.get("type") != "null"]
            if len(not_null) == 1:
                schema.update(not_null[0])
            elif not_null:
                schema["anyOf"] = not_null
            parameter["description"] = schema["description"] = (
                "The ETag from your last GET (required: 428 without it); the write is refused with 412 "
                "if it is no longer current"
            )
