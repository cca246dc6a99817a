"""JSON as the API writes it (orjson; UTC datetimes end in Z). Shared by the API and stored documents."""

from typing import Any

import orjson

_OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def dumps(content: Any) -> bytes:
    return orjson.dumps(content, option=_OPTIONS)


loads = orjson.loads
