"""`socialbot forget`: erase everything stored about one author on one platform."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, func, select

from socialbot.errors import SocialbotError
from socialbot.privacy.erase import Erased, erase_by_author, erase_posts, log_erasure
from socialbot.privacy.quotes import scrub_quotes
from socialbot.privacy.references import reflect_references
from socialbot.store import Store
from socialbot.store.drafts import DRAFTS, DraftStatus
from socialbot.store.ingest import POSTS, QUARANTINE

logger = logging.getLogger(__name__)

#: what people type -> the platform name posts are stored under
PLATFORMS = {"x": "twitter", "twitter": "twitter", "reddit": "reddit"}


class ForgetRefused(SocialbotError):
    """The author cannot be erased right now; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Author:
    """Someone on a platform, as stored: handles compare case-insensitively, as both
    X and Reddit treat them."""

    platform: str
    name: str

    @classmethod
    def parse(cls, platform: str, name: str) -> Author:
        stored = PLATFORMS.get(platform.strip().lower())
        if stored is None:
            raise SocialbotError(f"--platform: expected x or reddit, got {platform!r}")
        handle = name.strip().removeprefix("@").removeprefix("u/").removeprefix("/u/")
        if not handle:
            raise SocialbotError("--author: give the author's handle, e.g. jane_doe")
        return cls(stored, handle)

    def owns(self, platform: object, author: object) -> bool:
        return platform == self.platform and str(author or "").lower() == self.name.lower()


def author_posts(conn: Connection, author: Author) -> list[int]:
    """Row ids of the author's stored posts."""
    return [int(pk) for pk in conn.execute(
        select(POSTS.c.id).where(POSTS.c.platform == author.platform,
                                 func.lower(POSTS.c.author) == author.name.lower())
        .order_by(POSTS.c.id)).scalars()]


def in_quarantine(author: Author) -> ColumnElement[bool]:
    # A quarantined record could not be read as a post, so it has no author column:
    # every record mentioning the handle goes (they are kept only to diagnose input).
    escaped = author.name.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(QUARANTINE.c.raw).like(f"%{escaped}%", escape="\\")


def forget(store: Store, author: Author, *, now: datetime) -> Erased:
    """Erase the author's posts and everything referring to them, rows naming them, the
    quarantined records mentioning them and alert quotes of their posts; log the erasure
    (not who). One transaction: all of it, or nothing."""
    with store.transaction() as conn:
        refs = reflect_references(conn)
        pks = author_posts(conn, author)
        sending = conn.execute(select(func.count()).select_from(DRAFTS).where(
            DRAFTS.c.post_pk.in_(pks), DRAFTS.c.status == DraftStatus.POSTING)).scalar_one() \
            if pks else 0
        if sending:
            raise ForgetRefused("a reply to this author is being posted right now; run "
                                "forget again in a minute, once it is sent or failed")
        erased = erase_posts(conn, refs, pks)
        erased += erase_by_author(conn, refs, platform=author.platform, author=author.name)
        quarantined = conn.execute(QUARANTINE.delete().where(in_quarantine(author))).rowcount
        if quarantined > 0:
            erased.tables[QUARANTINE.name] += quarantined
        # quotes of posts erased before (by retention) name the author too
        quotes = scrub_quotes(conn, lambda q: author.owns(q.get("platform"), q.get("author")))
        if quotes:
            erased.tables["alert quotes"] += quotes
        log_erasure(conn, reason="forget", platform=author.platform, erased=erased, now=now)
    return erased


def preview(store: Store, author: Author) -> dict[str, int]:
    """What `forget` would erase, as counts people can check before confirming."""
    with store.reading() as conn:
        pks = author_posts(conn, author)
        drafts = conn.execute(select(func.count()).select_from(DRAFTS)
                              .where(DRAFTS.c.post_pk.in_(pks))).scalar_one() if pks else 0
        quarantined = conn.execute(select(func.count()).select_from(QUARANTINE)
                                   .where(in_quarantine(author))).scalar_one()
    return {"posts": len(pks), "drafts": int(drafts), "quarantined records": int(quarantined)}
