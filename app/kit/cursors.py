"""Opaque keyset cursors: base64url of the last key seen, so pages stay stable under writes."""

import base64
import binascii
import json
from typing import Any

from app.domain.errors import FieldError, InvalidInput


def encode_cursor(last_key: int | str) -> str:
    raw = json.dumps({"k": last_key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, kind: type[int] | type[str]) -> Any:
    """The last key from a cursor; an InvalidInput naming `cursor` when it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        key = data["k"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
        key = None
    if not isinstance(key, kind) or isinstance(key, bool) or (isinstance(key, int) and not 0 <= key < 2**31):
        raise InvalidInput(
            "The cursor is not valid: pass next_cursor from a previous page unchanged",
            [FieldError(("query", "cursor"), "is not a cursor this API issued")],
        )
    return key
