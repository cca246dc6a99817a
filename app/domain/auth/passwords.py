"""Password hashing (Argon2id, argon2-cffi's defaults)."""

import secrets
from functools import cache

from argon2 import PasswordHasher

hasher = PasswordHasher()


@cache
def dummy_hash() -> str:
    """Verified against when the email is unknown, so both paths take as long. Made on first use: hashing
    costs 0.2 s of CPU and 64 MB, which every command line run would otherwise pay at import."""
    return hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """The Argon2 hash stored for a password."""
    return hasher.hash(password)
