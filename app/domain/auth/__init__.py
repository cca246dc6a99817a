"""Authentication and accounts: users, password login with throttling, web sessions and API tokens.

Who is acting and what they may do is `app.domain.actor`. The public names of the modules are here, so
callers write `auth.create_user(...)`, `auth.resolve_token(...)`.
"""

from app.domain.auth.login import LoginFailed, authenticate, prune_login_failures
from app.domain.auth.passwords import hash_password
from app.domain.auth.sessions import TOUCH_EVERY, Resolved, end_session, resolve_session, start_session
from app.domain.auth.tokens import TOKEN_PREFIX, create_token, list_tokens, resolve_token, revoke_token
from app.domain.auth.users import (
    actor_for_user,
    create_user,
    describe,
    end_all_sessions,
    find_user_by_email,
    get_user,
    list_users,
    read_user,
    set_password,
    update_user,
)

__all__ = [
    "TOKEN_PREFIX",
    "TOUCH_EVERY",
    "LoginFailed",
    "Resolved",
    "actor_for_user",
    "authenticate",
    "create_token",
    "create_user",
    "describe",
    "end_all_sessions",
    "end_session",
    "find_user_by_email",
    "get_user",
    "hash_password",
    "list_tokens",
    "list_users",
    "prune_login_failures",
    "read_user",
    "resolve_session",
    "resolve_token",
    "revoke_token",
    "set_password",
    "start_session",
    "update_user",
]
