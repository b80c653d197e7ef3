"""Learning from moderators: `label` (a random sample), `labels export`, `accuracy` and
`topics` (what the labels taught each topic)."""

from __future__ import annotations

import sys
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from socialbot.cli.common import console, err_console, fail, get_config, get_store
from socialbot.config import Config
from socialbot.errors import ConfigError

if TYPE_CHECKING:
    from socialbot.labels.accuracy import AccuracyGroup, CardFigure
    from socialbot.labels.sampling import SamplePost

labels_app = typer.Typer(help="The labels people gave posts.", no_args_is_help=True)

_SENTIMENT_KEYS = {"n": "negative", "u": "neutral", "p": "positive"}
_NEED_KEYS = {"c": "complaint", "k": "question", "x": "none"}


class _Stop(Exception):
    """The person asked to stop (q, or the end of input)."""


class _Skip(Exception):
    """The person skipped this post."""


def _watch_name(config: Config, watch: str | None) -> str:
    try:
        return config.get_watch(watch).name
    except ConfigError as exc:
        fail(str(exc), code=2)


def label(
    ctx: typer.Context,
    watch: Annotated[str | None, typer.Option(help="Watch whose posts to label "
                                              "(default: the first).")] = None,
    count: Annotated[int, typer.Option(min=1, max=10_000,
                                       help="How many posts to offer.")] = 50,
    days: Annotated[float, typer.Option(min=0.01, help="Only posts from the last this many "
                                        "days before the newest stored one.")] = 7.0,
    who: Annotated[str | None, typer.Option(help="Who is labelling (default: \\[moderation] "
                                            "name, else the OS user).")] = None,
) -> None:
    """Label a random sample of recent posts: sentiment, whether it needs a reply, topics.

    Each answer defaults to what the model said (enter keeps it); s skips a post, q stops.
    Labels are stored as sample "random", the unbiased estimate `socialbot accuracy` shows.
    """
    from socialbot.clock import WallClock
    from socialbot.labels.sampling import random_sample
    from socialbot.moderation.queue import moderator_name
    from socialbot.store.labels import record_labels

    config = get_config(ctx)
    name = _watch_name(config, watch)
    topics = [t.name for t in config.get_watch(name).topic]
    store = get_store(ctx, config)
    labeller = who or moderator_name(config)
    with store.reading() as conn:
        posts = random_sample(conn, watch=name, count=count, days=days)
    if not posts:
        console.print(f"no classified, unlabelled posts of {name} in the last {days:g} days")
        return
    console.print(f"{len(posts)} posts of {name} picked at random; enter keeps the model's "
                  "answer, s skips, q stops.")
    saved = 0
    for n, post in enumerate(posts, 1):
        _show(post, n, len(posts))
        try:
            values = _ask_post(post, topics)
        except _Skip:
            continue
        except _Stop:
            break
        with store.transaction() as conn:
            record_labels(conn, platform=post.platform, post_id=post.post_id, values=values,
                          labeller=labeller, source="sample", sample="random",
                          now=WallClock().now())
        saved += 1
    console.print(f"labelled {saved} posts of {name} (sample: random); "
                  "`socialbot accuracy` shows how the model did")


def _show(post: SamplePost, n: int, total: int) -> None:
    when = post.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    console.print(f"\n[b]\\[{n}/{total}][/] @{escape(post.author or '?')} on {post.platform} "
                  f"· {when}", highlight=False)
    console.print(f"  {escape(post.text)}", highlight=False)
    console.print(f"  [dim]model: {post.sentiment} · need {post.need or 'unknown'} · topics "
                  f"{escape(post.topics)} ({escape(post.model_version)})[/]", highlight=False)


def _ask_post(post: SamplePost, topics: list[str]) -> dict[str, str | None]:
    sentiment = _ask_choice("sentiment? n negative, u neutral, p positive",
                            _SENTIMENT_KEYS, post.sentiment)
    need = _ask_choice("needs a reply? c complaint, k question, x neither",
                       _NEED_KEYS, post.need or "none")
    return {"sentiment": sentiment, "need": need, "topic": _ask_topics(post.topics, topics)}


def _read(prompt: str) -> str:
    try:
        answer = console.input(f"  {prompt}: ").strip()
    except EOFError:
        raise _Stop from None
    if answer.lower() == "q":
        raise _Stop
    if answer.lower() == "s":
        raise _Skip
    return answer


def _ask_choice(prompt: str, keys: dict[str, str], default: str) -> str:
    while True:
        answer = _read(f"{prompt} (enter: {default})").lower()
        if not answer:
            return default
        value = keys.get(answer) or (answer if answer in keys.values() else None)
        if value is not None:
            return value
        console.print(f"  use {', '.join(keys)}, enter, s or q", highlight=False)


def _ask_topics(default: str, topics: list[str]) -> str:
    from socialbot.store.labels import topic_value

    numbered = ", ".join(f"{i} {t}" for i, t in enumerate(topics, 1))
    while True:
        answer = _read(f"topics? numbers or names, comma-separated, 0 none [{numbered}] "
                       f"(enter: {default})")
        if not answer:
            return default
        chosen, bad = [], []
        for part in (p.strip() for p in answer.split(",") if p.strip()):
            if part == "0" or part == "other":
                continue
            if part.isdigit() and 1 <= int(part) <= len(topics):
                chosen.append(topics[int(part) - 1])
            elif part in topics:
                chosen.append(part)
            else:
                bad.append(part)
        if not bad:
            return topic_value(chosen)
        console.print(f"  no topic {', '.join(bad)}; use 1-{len(topics)} or a name",
                      highlight=False)


@labels_app.command("export")
def export(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="csv or jsonl.")] = "csv",
    output: Annotated[Path | None, typer.Option(help="File to write (default: stdout).")] = None,
    watch: Annotated[str | None, typer.Option(help="Only this watch's labels "
                                              "(default: every watch).")] = None,
) -> None:
    """Every label with who gave it and when, the full history, oldest first.

    Each row also has the sample, what the model said and which model said it, and the
    post's text."""
    from socialbot.labels.export import FORMATS, write_labels

    if fmt not in FORMATS:
        fail(f"--format: use {' or '.join(FORMATS)}", code=2)
    config = get_config(ctx)
    name = _watch_name(config, watch) if watch else None
    store = get_store(ctx, config)
    with store.reading() as conn:
        if output is None:
            written = write_labels(conn, sys.stdout, fmt=fmt, watch=name)
        else:
            try:
                with output.open("w", encoding="utf-8", newline="") as out:
                    written = write_labels(conn, out, fmt=fmt, watch=name)
            except OSError as exc:
                fail(f"cannot write {output}: {exc.strerror or exc}")
    err_console.print(f"exported {written} label rows" + (f" to {output}" if output else ""))


def accuracy(
    ctx: typer.Context,
    watch: Annotated[str | None, typer.Option(help="Watch whose labels to count "
                                              "(default: the first).")] = None,
) -> None:
    """How often the classifier agreed with the people who labelled this brand's posts.

    Per class and per topic, with the sample size and a Wilson 95% interval, split by model
    version and by sample (posts that got drafts vs a random sample)."""
    from socialbot.labels.accuracy import below_card, card_figures, card_folder, measure
    from socialbot.store.labels import current_labels

    config = get_config(ctx)
    name = _watch_name(config, watch)
    store = get_store(ctx, config)
    with store.reading() as conn:
        groups = measure(current_labels(conn, watch=name))
    if not groups:
        console.print(f"no labelled posts of {name} yet: correct posts in `socialbot queue` "
                      "(key c) or label a random sample with `socialbot label`")
        return
    folder = card_folder(config, name)
    card = card_figures(folder)
    used = escape(str(folder or "the shipped model"))
    console.print(f"[dim]{escape(name)} is classified by {used}; its model card's figures "
                  "are beside each kind[/]", highlight=False)
    for group in groups:
        console.print(_group_table(group, card))
        for kind in group.kinds.values():
            warning = below_card(kind, card.get(kind.kind))
            if warning:
                console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    if any(g.sample == "drafted" for g in groups):
        console.print("[dim]drafted: posts that got a draft (complaints and questions to the "
                      "brand), not a random sample; `socialbot label` gives the unbiased "
                      "figure.[/]")


def topics(
    ctx: typer.Context,
    watch: Annotated[str | None, typer.Option(help="Watch whose topics to list "
                                              "(default: the first).")] = None,
) -> None:
    """The watch's topics, with their examples from config.toml and from labelled posts.

    The examples learned from posts people labelled with a topic are the newest, capped."""
    from socialbot.labels.learned_topics import MAX_LEARNED, LearningTopics

    config = get_config(ctx)
    name = _watch_name(config, watch)
    configured = list(config.get_watch(name).topics)
    if not configured:
        console.print(f"watch {name} has no topics: add [[watch.topic]] tables to config.toml",
                      markup=False)
        return
    learning = LearningTopics({name: configured},
                              default_watch=config.watch[0].name if config.watch else None)
    with get_store(ctx, config).reading() as conn:
        learned = learning.learned_counts(conn, name)
    table = Table(title=f"topics of {escape(name)}")
    for column in ("topic", "description", "config examples", "learned examples"):
        table.add_column(column, justify="right" if "examples" in column else "left")
    for topic in configured:
        table.add_row(escape(topic.name), escape(topic.description), str(len(topic.examples)),
                      str(learned.get(topic.name, 0)))
    console.print(table)
    console.print(f"[dim]learned examples: posts labelled with the topic in `socialbot queue` "
                  f"(key c), `socialbot label` or the dashboard; the newest {MAX_LEARNED} per "
                  "topic count, and the classify stage picks up new ones without a restart.[/]")


def _group_table(group: AccuracyGroup, card: dict[str, CardFigure]) -> Table:
    table = Table(title=f"model {escape(group.model_version)} · sample {group.sample}")
    for column in ("label", "class / topic", "agreement", "95% interval", "posts",
                   "model card"):
        table.add_column(column, justify="left" if column in ("label", "class / topic")
                         else "right")
    for kind in group.kinds.values():
        lo, hi = kind.overall.interval
        figure = card.get(kind.kind)
        table.add_row(kind.kind, "[b]all[/]", f"[b]{kind.overall.rate:.1%}[/]",
                      f"{lo:.1%}-{hi:.1%}", str(kind.overall.total),
                      f"{figure.accuracy:.1%}" if figure else "")
        for name, agreement in kind.per_class.items():
            lo, hi = agreement.interval
            table.add_row("", escape(name), f"{agreement.rate:.1%}", f"{lo:.1%}-{hi:.1%}",
                          str(agreement.total), "")
    return table


def register(app: typer.Typer) -> None:
    app.command()(label)
    app.add_typer(labels_app, name="labels")
    app.command()(accuracy)
    app.command()(topics)
