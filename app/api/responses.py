"""Fast JSON rendering (orjson) with UTC datetimes written as ...Z."""

from typing import Any

import orjson
from fastapi import Response

_OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def dumps(content: Any) -> bytes:
    return orjson.dumps(content, option=_OPTIONS)


class Json(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


class ProblemJson(Json):
    media_type = "application/problem+json"


def page(items: list[dict[str, Any]], next_cursor: str | None) -> Json:
    return Json({"items": items, "next_cursor": next_cursor})
