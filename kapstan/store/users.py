"""Users of the server: created with a password (argon2id) or none (tokens only).

There is no default password and no default user. A failed password check says the
same thing, and takes as long, whether the user is unknown, disabled, token-only, or
the password is wrong.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kapstan.errors import AuthError, ConflictError, NotFoundError
from kapstan.model.records import User
from kapstan.store.base import Repository
from kapstan.store.names import check_name
from kapstan.store.passwords import check_password
from kapstan.store.tables import ConsoleSessionRow, UserRow

BAD_LOGIN = "invalid user name or password"


class UserStore(Repository):
    def create_user(self, name: str, *, password: str | None, admin: bool = False) -> User:
        """A new user; ``password`` None makes a token-only user (no password login)."""
        check_name("user", name)
        hashed = None if password is None else self._passwords.hash(check_password(name, password))

        def work(session: Session) -> User:
            if user_named(session, name) is not None:
                raise ConflictError(f"user {name!r} exists already")
            row = UserRow(
                name=name,
                password_hash=hashed,
                admin=bool(admin),
                disabled=False,
                created_at=self._now(),
            )
            session.add(row)
            session.flush()
            return user_record(row)

        return self._write(work)

    def get_user(self, name: str) -> User:
        return self._read(lambda session: user_record(find_user(session, name)))

    def list_users(self) -> list[User]:
        def work(session: Session) -> list[User]:
            rows = session.scalars(select(UserRow).order_by(UserRow.name))
            return [user_record(row) for row in rows]

        return self._read(work)

    def set_password(self, name: str, password: str) -> None:
        hashed = self._passwords.hash(check_password(name, password))
        self._write(lambda session: _set_hash(find_user(session, name, lock=True), hashed))

    def verify_password(self, name: str, password: str) -> User:
        """The user if ``password`` is theirs; else AuthError, the same for every cause."""
        row = self._read(lambda session: user_named(session, name))
        stored = row.password_hash if row is not None else None
        if not self._passwords.verify(stored, password) or row is None or row.disabled:
            raise AuthError(BAD_LOGIN)
        assert stored is not None
        if self._passwords.needs_rehash(stored):
            self._rehash(name, stored, password)
        return user_record(row)

    def disable_user(self, name: str) -> User:
        """Disable ``name``: no password login, no token, no role any more.

        Its console sessions stop working now (the console says the account is disabled);
        its tokens are refused while it is disabled.
        """

        def work(session: Session) -> User:
            row = find_user(session, name, lock=True)
            row.disabled = True
            return user_record(row)

        return self._write(work)

    def enable_user(self, name: str) -> User:
        """Let ``name`` log in again; its roles and unrevoked tokens work again.

        Console sessions from before it was disabled are ended: it logs in anew.
        """

        def work(session: Session) -> User:
            row = find_user(session, name, lock=True)
            row.disabled = False
            session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.user_id == row.id))
            return user_record(row)

        return self._write(work)

    def _rehash(self, name: str, stored: str, password: str) -> None:
        """Store a hash with the current parameters, unless the hash changed meanwhile."""
        fresh = self._passwords.hash(password)

        def work(session: Session) -> None:
            row = find_user(session, name, lock=True)
            if row.password_hash == stored:
                row.password_hash = fresh

        self._write(work)


def find_user(session: Session, name: str, *, lock: bool = False) -> UserRow:
    row = user_named(session, name, lock=lock)
    if row is None:
        raise NotFoundError(f"user {name!r} not found")
    return row


def user_named(session: Session, name: str, *, lock: bool = False) -> UserRow | None:
    query = select(UserRow).where(UserRow.name == name)
    return session.scalars(query.with_for_update() if lock else query).first()


def user_record(row: UserRow) -> User:
    return User(name=row.name, admin=row.admin, disabled=row.disabled, created_at=row.created_at)


def _set_hash(row: UserRow, hashed: str) -> None:
    row.password_hash = hashed
