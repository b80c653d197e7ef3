"""Every table that refers to a stored post or its author, found in the live schema.

Read from the database itself (not from a list in the code), so a table a later
migration adds is erased with the posts it refers to:

- a foreign key to `posts` (or to a table that is erased with them): its rows go,
  or its reference is cleared where the key says `ON DELETE SET NULL` (a saved
  reply the brand wrote stays, without the post it was saved from);
- `platform` + `post_id` columns without a key (today's billed reads);
- `platform` + `author` columns without a key: rows about the author (`forget` only).

A column that looks like a reference to a post or an author but fits none of these
makes erasing refuse (`UnknownReference`) rather than leave data behind unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Column, ColumnElement, Connection, MetaData, Table, select

from socialbot.errors import SocialbotError

POSTS = "posts"

#: tables kept on purpose, and why (README "Privacy" says the same)
KEPT: dict[str, str] = {
    # append-only evidence (database triggers refuse edits): which reply was approved by
    # whom and sent; it holds the brand's reply texts and post ids, never a post's text
    "audit_log": "append-only record of moderation and posting decisions",
    # the erasure log itself says only when, why, where and how many
    "erasure_log": "says when, why, on which platform and how many rows, not who",
}

#: names that mean "this column points at a post or an author"
_POST_COLUMNS = ("post_pk", "post_id")
_AUTHOR_COLUMNS = ("author",)


class UnknownReference(SocialbotError):
    """A table refers to posts or authors in a way erasing does not know how to follow."""


@dataclass(frozen=True, slots=True)
class KeyStep:
    """Rows of `table` whose `column` holds a `parent_column` value of erased `parent` rows."""

    table: Table
    column: Column[Any]
    parent: KeyStep | None  # None: the parent is `posts` itself
    parent_column: str
    action: Literal["delete", "set_null"]

    @property
    def path(self) -> str:
        up = self.parent.path if self.parent else POSTS
        return f"{up} <- {self.table.name}.{self.column.name}"

    def rows(self, post_pks: list[int]) -> ColumnElement[bool]:
        """This table's rows that refer (through their parents) to these posts."""
        if self.parent is None:
            return self.column.in_(post_pks)
        parent: Any = select(self.parent.table.c[self.parent_column]).where(
            self.parent.rows(post_pks))
        return self.column.in_(parent)


@dataclass(frozen=True, slots=True)
class SchemaReferences:
    """How each table refers to posts or authors."""

    posts: Table
    #: foreign-key steps, children before their parents (the order to erase in)
    keys: list[KeyStep]
    #: tables naming a post by `(platform, post_id)` without a key
    by_post_id: list[Table]
    #: tables naming an author by `(platform, author)` without a key to a post
    by_author: list[Table]

    def tables(self) -> set[str]:
        """Every table holding a reference that erasing follows (posts included)."""
        names = {POSTS}
        names |= {k.table.name for k in self.keys}
        names |= {t.name for t in (*self.by_post_id, *self.by_author)}
        return names


def reflect_references(conn: Connection) -> SchemaReferences:
    """Read the schema and classify every reference to a post or an author."""
    meta = MetaData()
    meta.reflect(conn)
    if POSTS not in meta.tables:
        raise UnknownReference("the database has no posts table: run `socialbot db upgrade`")
    return classify(meta)


def classify(meta: MetaData) -> SchemaReferences:
    """`reflect_references` for an already reflected (or declared) schema."""
    posts = meta.tables[POSTS]
    keys: list[KeyStep] = []
    covered: set[tuple[str, str]] = set()
    _walk(meta, posts, None, keys, covered, seen={POSTS})
    by_post_id, by_author = [], []
    for table in meta.tables.values():
        if table.name == POSTS or table.name in KEPT:
            continue
        names = set(table.c.keys())
        if {"platform", "post_id"} <= names and (table.name, "post_id") not in covered:
            by_post_id.append(table)
            covered.add((table.name, "post_id"))
        erased_with_posts = any(k.table.name == table.name and k.action == "delete"
                                for k in keys)
        if {"platform", "author"} <= names and not erased_with_posts:
            by_author.append(table)
        if erased_with_posts or table in by_author:
            covered |= {(table.name, c) for c in _AUTHOR_COLUMNS}
        for column in table.c:
            looks = column.name in _POST_COLUMNS or column.name.endswith("_post_pk") \
                or column.name in _AUTHOR_COLUMNS
            if looks and (table.name, column.name) not in covered:
                raise UnknownReference(
                    f"table {table.name!r} column {column.name!r} looks like a reference to "
                    "a post or an author that erasing does not follow; teach "
                    "socialbot.privacy.references about it before erasing anything")
    return SchemaReferences(posts, keys, by_post_id, by_author)


def _walk(meta: MetaData, parent: Table, step: KeyStep | None, keys: list[KeyStep],
          covered: set[tuple[str, str]], *, seen: set[str]) -> None:
    for table in meta.tables.values():
        if table.name in KEPT:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name != parent.name:
                continue
            column = fk.parent
            covered.add((table.name, column.name))
            ondelete = (fk.ondelete or "").upper()
            action: Literal["delete", "set_null"] = (
                "set_null" if ondelete == "SET NULL" else "delete")
            child = KeyStep(table, column, step, fk.column.name, action)
            if action == "delete" and table.name not in seen:
                # grandchildren first: their rows are found through ours, still there
                _walk(meta, table, child, keys, covered, seen=seen | {table.name})
            keys.append(child)
