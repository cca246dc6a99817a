"""When tokens and sessions were last used (app/domain/last_use.py): noted in memory, written when the lock is free."""

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from app.db import transaction
from app.domain import auth, last_use
from app.models.auth import ApiToken, Role, TokenCreate, UserSession
from app.models.types import as_utc, utcnow
from tests.factories import SYSTEM, make_user, write_lock_held


@pytest.fixture
def nothing_pending(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No notes left by earlier tests, and no back-off left after this one."""
    assert last_use.flush()
    monkeypatch.setattr(last_use, "_next_attempt", 0.0)
    yield
    last_use.flush()


@pytest.fixture
def token_id(nothing_pending: None) -> int:
    email = make_user("u@test.example", Role.editor)
    with transaction() as session:
        user = auth.find_user_by_email(session, email)
        assert user is not None
        created = auth.create_token(session, SYSTEM, TokenCreate(name="t", user_id=user.id))
    return int(created["id"])


def last_used(token: int) -> datetime | None:
    with transaction() as session:
        value = session.execute(select(col(ApiToken.last_used_at)).where(col(ApiToken.id) == token)).scalar_one()
    return as_utc(value) if value is not None else None


def test_a_noted_use_is_written_by_the_flush(token_id: int) -> None:
    assert not last_use.due()
    assert last_used(token_id) is None
    before = utcnow()
    last_use.note(token_id=token_id)
    assert last_use.due()
    assert last_used(token_id) is None  # only noted, not written yet
    assert last_use.flush() is True
    written = last_used(token_id)
    assert written is not None
    assert before <= written <= utcnow()
    assert not last_use.due()
    assert last_use.flush() is True  # nothing left to write


def test_a_sessions_use_is_written_too(nothing_pending: None) -> None:
    email = make_user("u@test.example", Role.editor)
    with transaction() as session:
        user = auth.find_user_by_email(session, email)
        assert user is not None
        auth.start_session(session, user)
        session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(hours=1)))
        web = session.execute(select(UserSession)).scalar_one()
    before = utcnow()
    last_use.note(session_id=web.id)
    assert last_use.flush()
    with transaction() as session:
        seen = session.execute(select(col(UserSession.last_seen_at)).where(col(UserSession.id) == web.id)).scalar_one()
    assert before <= as_utc(seen) <= utcnow()


def test_flush_gives_up_at_once_while_another_writer_holds_the_lock_and_keeps_the_notes(token_id: int) -> None:
    last_use.note(token_id=token_id)
    # On PostgreSQL the flush does not queue for the writers' advisory lock: the writer holds the row too.
    with write_lock_held("UPDATE api_token SET name = name WHERE id = :id", id=token_id):
        assert last_use.flush() is False
        assert not last_use.due()  # later requests back off for a while
    assert last_used(token_id) is None  # nothing was written
    assert last_use.flush() is True  # the note was kept, and is written once the lock is free
    assert last_used(token_id) is not None


def test_a_newer_note_wins_over_one_kept_from_a_busy_flush(token_id: int) -> None:
    last_use.note(token_id=token_id)
    with write_lock_held("UPDATE api_token SET name = name WHERE id = :id", id=token_id):
        assert last_use.flush() is False
    newer = utcnow()
    last_use.note(token_id=token_id)
    assert last_use.flush() is True
    written = last_used(token_id)
    assert written is not None
    assert written >= newer
