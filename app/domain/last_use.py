"""When tokens and web sessions were last used, written without ever making a request wait for a writer.

A read with a token must not queue behind a long import for the database's write lock just to note the
time. Uses are noted in memory on the request path (at most one a minute per token or session, as before)
and written in one small transaction after the response, which gives up at once if another writer holds
the lock; the notes are then kept for the next attempt. A worker that stops loses at most a minute of them.
"""

import threading
import time
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import DBAPIError
from sqlmodel import col

from app.db import nonblocking_transaction
from app.models.auth import ApiToken, UserSession
from app.models.types import utcnow

RETRY_AFTER_SECONDS = 5.0  # after a busy lock, later requests do not retry before this

_lock = threading.Lock()
_tokens: dict[int, datetime] = {}
_sessions: dict[int, datetime] = {}
_next_attempt = 0.0


def note(*, token_id: int | None = None, session_id: int | None = None) -> None:
    now = utcnow()
    with _lock:
        if token_id is not None:
            _tokens[token_id] = now
        if session_id is not None:
            _sessions[session_id] = now


def due() -> bool:
    """Whether there is something to write and it is time to try."""
    return bool(_tokens or _sessions) and time.monotonic() >= _next_attempt


def flush() -> bool:
    """Write the noted uses unless the write lock is busy; True when nothing is left pending."""
    global _next_attempt
    with _lock:
        tokens, sessions = dict(_tokens), dict(_sessions)
        _tokens.clear()
        _sessions.clear()
    if not tokens and not sessions:
        return True
    try:
        with nonblocking_transaction() as connection:
            for token_id, at in tokens.items():
                connection.execute(update(ApiToken).where(col(ApiToken.id) == token_id).values(last_used_at=at))
            for session_id, at in sessions.items():
                connection.execute(update(UserSession).where(col(UserSession.id) == session_id).values(last_seen_at=at))
    except DBAPIError:
        with _lock:  # busy: keep them (a newer note wins) and let a later request try again
            for token_id, at in tokens.items():
                _tokens.setdefault(token_id, at)
            for session_id, at in sessions.items():
                _sessions.setdefault(session_id, at)
            _next_attempt = time.monotonic() + RETRY_AFTER_SECONDS
        return False
    return True
