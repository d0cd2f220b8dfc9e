"""slack_sdk's SQLAlchemy installation store, with token rotation serialized across replicas.

With token rotation on, Slack's refresh tokens are single-use: of two replicas that refresh the
same expiring token at once, one gets `invalid_refresh_token` (and bolt drops that event), and
if the loser's save landed last the stored refresh token would be the dead one: the workspace
would be lost until reinstalled. So the refresh happens here, in `async_find_bot`, under a
per-installation lock (PostgreSQL advisory lock; SQLite's write lock): whoever waited re-reads
the row and finds the token already fresh. Bolt's authorize and our job side both read through
`async_find_bot`, so they get a fresh token and never rotate themselves.

What remains: the refresh is a Slack call inside the locked transaction. If the process dies
after Slack answered and before the commit, the new refresh token is lost with it (Slack has
already retired the old one): the workspace must reinstall. That window is one HTTP answer long.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from typing import Any

from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.sqlalchemy import (
    AsyncSQLAlchemyInstallationStore,
    SQLAlchemyInstallationStore,
)
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from sqlalchemy import and_, desc, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


class RotatingInstallationStore(AsyncSQLAlchemyInstallationStore):
    """Installations in the store's database; bots come back with a token good for a while."""

    def __init__(
        self,
        *,
        client_id: str,
        engine: AsyncEngine,
        rotator: AsyncTokenRotator,
        minutes_before_expiration: int,
    ) -> None:
        super().__init__(client_id=client_id, engine=engine)
        self.rotator = rotator
        self.minutes_before_expiration = minutes_before_expiration

    def due(self, bot: Bot) -> bool:
        """True when the bot's token rotates and expires within the refresh window."""
        expires = bot.bot_token_expires_at
        window = self.minutes_before_expiration * 60
        soon = time.time() + window
        return bool(bot.bot_refresh_token) and expires is not None and expires <= soon

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        bot: Bot | None = await super().async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        if bot is None or not self.due(bot):
            return bot
        return await self._refresh(bot.enterprise_id, bot.team_id)

    async def _refresh(self, enterprise_id: str | None, team_id: str | None) -> Bot | None:
        """Refresh the installation's token unless another replica did while we waited for
        the lock; raises SlackTokenRotationError when Slack refuses (bolt then drops the event)."""
        async with self.engine.begin() as conn:  # the write view: SQLite's write lock up front
            await _lock(conn, f"{self.client_id}|{enterprise_id}|{team_id}")
            row = (await conn.execute(self._latest(enterprise_id, team_id))).mappings().first()
            if row is None:
                return None  # uninstalled while we waited
            bot = SQLAlchemyInstallationStore.build_bot_entity(row)
            if not self.due(bot):
                return bot
            fresh: Bot | None = await self.rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=self.minutes_before_expiration
            )
            if fresh is None:
                return bot
            assert fresh.bot_token_expires_at is not None
            expires = datetime.fromtimestamp(fresh.bot_token_expires_at, UTC).replace(tzinfo=None)
            await conn.execute(
                self.bots.update()
                .where(self.bots.c.id == row["id"])
                .values(
                    bot_token=fresh.bot_token,
                    bot_refresh_token=fresh.bot_refresh_token,
                    bot_token_expires_at=expires,
                )
            )
            return fresh

    def _latest(self, enterprise_id: str | None, team_id: str | None) -> Any:
        c = self.bots.c
        return (
            select(self.bots)
            .where(
                and_(
                    c.client_id == self.client_id,
                    c.enterprise_id == enterprise_id,
                    c.team_id == team_id,
                    c.bot_token.is_not(None),
                )
            )
            .order_by(desc(c.installed_at))
            .limit(1)
        )


async def _lock(conn: AsyncConnection, name: str) -> None:
    """Serialize refreshes of one installation across processes, until the transaction ends."""
    if conn.dialect.name != "postgresql":
        return  # SQLite: the transaction began IMMEDIATE, which already excludes other writers
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
    await conn.execute(select(func.pg_advisory_xact_lock(key)))
