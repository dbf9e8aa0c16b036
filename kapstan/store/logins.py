"""Failed password logins, in the store: the rate limit holds across server processes.

Rows older than the longest window asked for are deleted whenever a failure is recorded,
so the table holds only what a limit can still count.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kapstan.store.base import Repository
from kapstan.store.tables import LoginFailureRow


class LoginFailureStore(Repository):
    def login_failures(self, user: str, address: str, within: timedelta) -> list[datetime]:
        """When ``user`` failed to log in from ``address`` in the last ``within``, oldest
        first."""
        since = self._now() - within
        return self._read(
            lambda session: list(
                session.scalars(
                    select(LoginFailureRow.at)
                    .where(
                        LoginFailureRow.user == user,
                        LoginFailureRow.address == address,
                        LoginFailureRow.at > since,
                    )
                    .order_by(LoginFailureRow.at)
                )
            )
        )

    def record_login_failure(self, user: str, address: str, *, keep: timedelta) -> datetime:
        """Record a failure now (and forget every failure older than ``keep``); its time."""
        now = self._now()

        def work(session: Session) -> datetime:
            session.execute(delete(LoginFailureRow).where(LoginFailureRow.at <= now - keep))
            session.add(LoginFailureRow(user=user, address=address, at=now))
            return now

        return self._write(work)

    def clear_login_failures(self, user: str, address: str) -> None:
        """Forget the failures of ``user`` from ``address`` (a login succeeded)."""
        self._write(
            lambda session: session.execute(
                delete(LoginFailureRow).where(
                    LoginFailureRow.user == user, LoginFailureRow.address == address
                )
            )
        )
