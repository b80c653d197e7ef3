"""`socialbot queue`: a full-screen Textual app over `ModerationQueue`.

The app only shows and asks; claiming, deciding and undoing live in `queue.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC
from typing import ClassVar

from rich.markup import escape
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Input, Static, TextArea

from socialbot.grounding.grounder import SAVED_REPLY_VERSION
from socialbot.moderation.correction_form import CorrectionForm
from socialbot.moderation.corrections import NO_REPLY_REASON, Correction
from socialbot.moderation.queue import ClaimLost, ModerationQueue, QueueError, QueueItem

logger = logging.getLogger(__name__)

#: How often an empty queue looks for new drafts, in seconds.
POLL_SECONDS = 5.0

HELP = (
    "[b]a[/] approve as drafted   [b]e[/] edit ([b]ctrl+s[/] approves it, [b]f7[/] selects "
    "all)   [b]r[/] reject (type a reason, enter)   [b]g[/] regenerate   [b]s[/] skip   "
    "[b]u[/] undo the last action   [b]t[/] save as a saved reply (type a name, enter)   "
    "[b]c[/] correct the post's sentiment / need / topics   [b]esc[/] cancel editing   "
    "[b]q[/] quit"
)

_VIEW_ACTIONS = frozenset(
    {"approve", "edit", "reject", "regenerate", "skip", "undo", "save_reply", "quit_queue",
     "correct"}
)
_SENTIMENT_STYLE = {"negative": "red", "neutral": "yellow", "positive": "green"}
#: below this probability the card marks the sentiment "unsure"
UNSURE_BELOW = 0.5


class QueueApp(App[None]):
    """Pending drafts, most urgent first (`drafting.priority`), one at a time, with the
    post they answer."""

    TITLE = "socialbot queue"
    CSS = """
    #counts { height: 1; padding: 0 1; background: $boost; }
    #body { padding: 0 1; }
    #post { margin: 1 0 0 0; }
    #flags { margin: 1 0 0 0; }
    #draft { margin: 1 0 0 0; padding: 0 1; border: round $accent; }
    #editor { height: 8; margin: 1 0 0 0; }
    #reason { margin: 1 0 0 0; }
    #savename { margin: 1 0 0 0; }
    #message { height: auto; padding: 0 1; color: $warning; }
    #help { padding: 0 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "approve", "Approve"),
        Binding("e", "edit", "Edit"),
        Binding("ctrl+s", "save_edit", "Approve edit", show=False),
        Binding("r", "reject", "Reject"),
        Binding("g", "regenerate", "Regenerate"),
        Binding("s", "skip", "Skip"),
        Binding("u", "undo", "Undo"),
        Binding("t", "save_reply", "Save reply"),
        Binding("c", "correct", "Correct"),
        Binding("escape", "cancel", "Cancel", show=False),
        Binding("question_mark", "toggle_help", "Help"),
        Binding("q", "quit_queue", "Quit"),
    ]

    def __init__(self, queue: ModerationQueue) -> None:
        super().__init__()
        self.queue = queue
        self.item: QueueItem | None = None
        self.mode = "view"  # view | edit | reject | save | correct | busy
        self._confirm: str | None = None  # a flagged edit the moderator was warned about

    def compose(self) -> ComposeResult:
        yield Header(show_clock=True)
        yield Static(id="counts")
        with VerticalScroll(id="body"):
            yield Static(id="post")
            yield Static(id="flags")
            yield Static(id="draft")
            yield TextArea(id="editor", soft_wrap=True)
            yield Input(placeholder=f"why reject? (enter to reject, esc to cancel; "
                        f"'{NO_REPLY_REASON}' also labels the post)", id="reason")
            yield Input(placeholder="name of the saved reply, e.g. late delivery (enter saves, "
                        "esc cancels)", id="savename")
            yield Static(id="message")
        yield Static(HELP, id="help")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"moderator: {self.queue.moderator}"
        self.query_one("#editor", TextArea).display = False
        self.query_one("#reason", Input).display = False
        self.query_one("#savename", Input).display = False
        self.set_interval(POLL_SECONDS, self._poll)
        self.set_interval(max(5.0, self.queue.claim_timeout / 3), self._renew)
        self._advance()

    # -- showing -------------------------------------------------------------------------
    def _advance(self) -> None:
        """Claim and show the next pending draft (or the empty state)."""
        self.item = self.queue.next()
        self._show()

    def _show(self, message: str = "") -> None:
        self.mode = "view"
        self.query_one("#draft", Static).display = True
        self.query_one("#editor", TextArea).display = False
        self.query_one("#reason", Input).display = False
        self.query_one("#savename", Input).display = False
        self.query_one("#message", Static).update(escape(message))
        counts = self.queue.counts()
        self.query_one("#counts", Static).update(
            f"pending [b]{counts.pending}[/]   approved today [b]{counts.approved_today}[/]   "
            f"rejected today [b]{counts.rejected_today}[/]"
            + (f"   [b red]failed to post {counts.failed}[/] (socialbot drafts --status failed)"
               if counts.failed else "")
        )
        item = self.item
        post, flags, draft = (self.query_one(f"#{n}", Static) for n in ("post", "flags", "draft"))
        if item is None:
            post.update("[b]No pending drafts.[/] New ones appear here as they are drafted.")
            flags.update("")
            draft.update("")
            draft.border_title = None
            return
        post.update(render_post(item))
        flags.update(render_flags(item))
        draft.update(escape(item.text))
        draft.border_title = card_title(item)

    def _poll(self) -> None:
        if self.item is None and self.mode == "view":
            self._advance()

    def _renew(self) -> None:
        if self.item is not None and self.mode != "busy":
            try:
                self.item = self.queue.renew(self.item)
            except QueueError as exc:
                self._lost(exc)

    def _lost(self, exc: QueueError) -> None:
        self.item = None
        self._advance()
        self.query_one("#message", Static).update(escape(str(exc)))

    def _actionable(self) -> QueueItem | None:
        if self.mode == "busy":
            return None
        return self.item

    # -- actions -------------------------------------------------------------------------
    def action_approve(self) -> None:
        item = self._actionable()
        if item is None or self.mode != "view":
            return
        self._decide(lambda: self.queue.approve(item), f"approved draft {item.draft_id}")

    def action_edit(self) -> None:
        item = self._actionable()
        if item is None or self.mode != "view":
            return
        self.mode = "edit"
        self._confirm = None
        editor = self.query_one("#editor", TextArea)
        editor.text = item.text
        editor.border_title = self.query_one("#draft", Static).border_title
        self.query_one("#draft", Static).display = False  # edited in place
        editor.display = True
        editor.focus()
        self.query_one("#message", Static).update(
            "editing: ctrl+s approves this text, esc cancels, f7 selects all"
        )

    def action_save_edit(self) -> None:
        item = self.item
        if item is None or self.mode != "edit":
            return
        text = self.query_one("#editor", TextArea).text
        flags = self.queue.check_edit(item, text)
        if flags and self._confirm != text:
            # Flagged edits need a second ctrl+s: approving is the moderator's call.
            self._confirm = text
            listed = "; ".join(f"{f.code}: {f.reason}" for f in flags)
            self.query_one("#message", Static).update(
                escape(f"the edit raises {listed} — ctrl+s again to approve anyway")
            )
            return
        self._decide(lambda: self.queue.approve(item, text),
                     f"approved edited draft {item.draft_id}")

    def action_reject(self) -> None:
        self._ask("reject", "#reason")

    def _ask(self, mode: str, field: str) -> None:
        """Open the one-line `field` for the card on screen (a reason, a name)."""
        if self._actionable() is None or self.mode != "view":
            return
        self.mode = mode
        answer = self.query_one(field, Input)
        answer.value = ""
        answer.display = True
        answer.focus()

    @on(Input.Submitted, "#reason")
    def _reject_submitted(self, event: Input.Submitted) -> None:
        item = self.item
        if item is None or self.mode != "reject":
            return
        self._decide(lambda: self.queue.reject(item, event.value),
                     f"rejected draft {item.draft_id}")

    def action_save_reply(self) -> None:
        self._ask("save", "#savename")

    @on(Input.Submitted, "#savename")
    def _save_submitted(self, event: Input.Submitted) -> None:
        item = self.item
        if item is None or self.mode != "save":
            return
        try:
            saved = self.queue.save_reply(item, event.value)
        except QueueError as exc:  # a clash or a bad slot: say so and let them retype
            self.query_one("#message", Static).update(escape(str(exc)))
            return
        self.set_focus(None)
        self._show(f"saved reply '{saved.name}' kept for {saved.topic} {saved.intent}s")

    def action_correct(self) -> None:
        item = self._actionable()
        if item is None or self.mode != "view":
            return
        start, said = self.queue.correction_start(item)
        self.mode = "correct"
        topics = self.queue.topics.get(item.watch or "", [])

        def done(answer: Correction | None) -> None:
            if answer is None:
                self._show("correction cancelled")
                return
            try:
                self.queue.correct(item, answer)
            except QueueError as exc:
                self._show(str(exc))
                return
            self._show(f"labelled: {answer.sentiment}, need {answer.need}, topics "
                       f"{', '.join(answer.topics) or 'none'} (thank you: the model learns "
                       "from this)")

        self.push_screen(CorrectionForm(start, topics, model_said=said), done)

    def action_skip(self) -> None:
        item = self._actionable()
        if item is None or self.mode != "view":
            return
        self._decide(lambda: self.queue.skip(item), f"skipped draft {item.draft_id}")

    def action_undo(self) -> None:
        if self.mode not in ("view",):
            return
        current = self.item
        try:
            restored = self.queue.undo()
        except QueueError as exc:
            self.query_one("#message", Static).update(escape(str(exc)))
            return
        if current is not None and current.draft_id != restored.draft_id:
            self.queue.release(current)
        self.item = restored
        self._show(f"undone: draft {restored.draft_id} is back")

    def action_regenerate(self) -> None:
        item = self._actionable()
        if item is None or self.mode != "view":
            return
        self.mode = "busy"
        self.query_one("#message", Static).update("regenerating… (the model loads on first use)")
        self._regenerate(item)

    @work(thread=True, exclusive=True)
    def _regenerate(self, item: QueueItem) -> None:
        try:
            fresh = self.queue.regenerate(item)
        except QueueError as exc:
            self.call_from_thread(self._after_regenerate, None, str(exc))
            return
        except Exception as exc:  # a model failure must not end the session
            logger.exception("regenerating draft %d failed", item.draft_id)
            self.call_from_thread(self._after_regenerate, None, f"regenerate failed: {exc}")
            return
        self.call_from_thread(self._after_regenerate, fresh, "regenerated")

    def _after_regenerate(self, fresh: QueueItem | None, message: str) -> None:
        if fresh is not None:
            self.item = fresh
        self._show(message)

    def action_cancel(self) -> None:
        if self.mode in ("edit", "reject", "save"):
            self._show("cancelled")
            self.set_focus(None)

    def action_toggle_help(self) -> None:
        help_line = self.query_one("#help", Static)
        help_line.display = not help_line.display

    def action_quit_queue(self) -> None:
        if self.mode in ("edit", "reject", "save", "correct"):
            return  # typing q in the editor or the reason box is text, not quit
        self.queue.release()
        self.exit()

    def _decide(self, act: Callable[[], None], done: str) -> None:
        try:
            act()
        except ClaimLost as exc:
            self._lost(exc)
            return
        except QueueError as exc:  # e.g. an edit too long to post: fix it and try again
            self.query_one("#message", Static).update(escape(str(exc)))
            return
        self.set_focus(None)
        self._advance()
        self.query_one("#message", Static).update(escape(done) + "  (u undoes)")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Letters typed into the editor or the reason box are text, not commands.
        typing = self.mode in ("edit", "reject", "save", "correct")
        return not (typing and action in _VIEW_ACTIONS)


def render_post(item: QueueItem) -> str:
    """The post being answered, its thread, and what the classifier said, as markup."""
    lines = []
    for parent in item.thread:
        lines.append(
            f"[dim]  ↳ @{escape(parent.author or '?')}: {escape(_one_line(parent.text))}[/]"
        )
    when = item.posted_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    sentiment = item.sentiment or "unclassified"
    style = _SENTIMENT_STYLE.get(sentiment, "white")
    topics = ", ".join(item.topics) or "no topic"
    if item.sentiment_confidence is not None:
        # a label near a coin toss is often a misread: say so next to it
        unsure = " unsure" if item.sentiment_confidence < UNSURE_BELOW else ""
        sentiment += f" {item.sentiment_confidence:.0%}{unsure}"
    lines.append(
        f"[b]@{escape(item.author or '?')}[/] on {item.platform} · {when} · "
        f"[{style}]{sentiment}[/] · {escape(topics)}"
    )
    if item.url:
        lines.append(f"[dim]{escape(item.url)}[/]")
    if item.why_drafted:
        lines.append(f"[dim]why a draft: {escape(item.why_drafted)}[/]")
    lines.append("")
    lines.append(f"[b]{escape(item.post_text)}[/]")
    for reply in item.brand_replies:
        lines.append(
            f"[yellow]⚠ already answered by @{escape(reply.author or '?')}: "
            f"{escape(_one_line(reply.text))}[/]"
        )
    return "\n".join(lines)


def card_title(item: QueueItem) -> str:
    """The draft box's title: its id and length, and what produced the text."""
    made_by = (f"attempt {item.attempts} · {item.generator_version}"
               if item.generator_version != SAVED_REPLY_VERSION else "")
    parts = [f"draft {item.draft_id}", f"{len(item.text)} chars", made_by, escape(item.source)]
    return " · ".join(p for p in parts if p)


def render_flags(item: QueueItem) -> str:
    if not item.flags:
        return "[green]✓ passes the guardrails[/]"
    return "\n".join(
        f"[red]⚑ {escape(flag.get('code', '?'))}[/]: {escape(flag.get('reason', ''))}"
        for flag in item.flags
    )


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
