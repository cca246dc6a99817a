"""Password hashing (Argon2id, argon2-cffi's defaults)."""

import secrets

from argon2 import PasswordHasher

hasher = PasswordHasher()
# Verified against when the email is unknown, so both paths take as long.
DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """The Argon2 hash stored for a password."""
    return hasher.hash(password)
