"""Stable UUIDs for HSDS: uuid5 of a fixed namespace and `kind:key`, so an id never changes between exports."""

import hashlib
import uuid
from functools import lru_cache

# Fixed forever: changing it would change every exported HSDS id.
NAMESPACE = uuid.UUID("6f0c1c57-2d0e-5b8f-9a43-7e5d2b6a4c10")
_NAMESPACE_BYTES = NAMESPACE.bytes


@lru_cache(maxsize=200_000)
def hsds_id(kind: str, key: int | str) -> str:
    """The HSDS id of our `kind` (service, organization, taxonomy, term …) with this key:
    `str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))`, computed without the UUID object (a page has hundreds)."""
    name = _NAMESPACE_BYTES + f"{kind}:{key}".encode()
    digest = bytearray(hashlib.sha1(name, usedforsecurity=False).digest()[:16])  # uuid5 is SHA-1 by definition
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
