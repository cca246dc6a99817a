"""Secrets handed to a client (tokens, session ids, pending-upload keys) and the hashes we keep of them."""

import hashlib
import secrets as _random


def digest(secret: str) -> str:
    """What is stored in place of a secret: its SHA-256, hex. A leaked table gives no usable secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def mint(prefix: str = "") -> tuple[str, str]:
    """A new secret (256 random bits, URL-safe, after `prefix`) and its digest."""
    secret = prefix + _random.token_urlsafe(32)
    return secret, digest(secret)
