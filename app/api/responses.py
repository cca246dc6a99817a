"""Fast JSON rendering (orjson) with UTC datetimes written as ...Z."""

from collections.abc import Sequence
from typing import Any

from fastapi import Response

from app.domain.versioning import etag
from app.kit.serialization import dumps


class Json(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


class ProblemJson(Json):
    media_type = "application/problem+json"


def page(items: list[dict[str, Any]], next_cursor: str | None) -> Json:
    return Json({"items": items, "next_cursor": next_cursor})


def raw_page(documents: Sequence[bytes], next_cursor: str | None) -> Response:
    """A list page assembled from stored JSON documents, without parsing them again."""
    body = b'{"items":[' + b",".join(documents) + b'],"next_cursor":' + dumps(next_cursor) + b"}"
    return Response(body, media_type="application/json")


def versioned(body: dict[str, Any], status_code: int = 200) -> Json:
    """A resource with its ETag but no URL of its own (a measure, a member, a meeting: read in their parent's
    list), so a 201 without a Location header."""
    return Json(body, status_code=status_code, headers={"ETag": etag(int(body["version"]))})


def resource(body: dict[str, Any], *, created_at: str | None = None) -> Json:
    """One resource with its ETag; `created_at` (its URL) makes it a 201 Created with a Location."""
    headers = {"ETag": etag(int(body["version"]))}
    if created_at is not None:
        headers["Location"] = created_at
    return Json(body, status_code=201 if created_at else 200, headers=headers)
