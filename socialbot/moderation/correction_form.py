"""The queue's correction form: one key per answer, so correcting a post takes seconds.

    n / u / p      sentiment: negative / neutral / positive
    c / k / x      needs a reply: complaint / question (asKs) / neither
    1 .. 9         toggle the watch's topics
    enter          save (unchanged answers confirm the model)   esc  cancel
"""

from __future__ import annotations

from typing import ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from socialbot.moderation.corrections import Correction

_SENTIMENT_KEYS = {"n": "negative", "u": "neutral", "p": "positive"}
_NEED_KEYS = {"c": "complaint", "k": "question", "x": "none"}
_NEED_SHOWN = {"complaint": "complaint", "question": "question", "none": "neither"}


class CorrectionForm(ModalScreen[Correction | None]):
    """Shows what the model said about the post; returns the moderator's answer (or None)."""

    CSS = """
    CorrectionForm { align: center middle; }
    #form { width: 90; height: auto; padding: 1 2; border: round $accent; background: $panel; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(k, f"sentiment('{v}')", show=False) for k, v in _SENTIMENT_KEYS.items()),
        *(Binding(k, f"need('{v}')", show=False) for k, v in _NEED_KEYS.items()),
        *(Binding(str(i), f"topic({i - 1})", show=False) for i in range(1, 10)),
        Binding("enter", "save", "Save"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, start: Correction, topics: list[str], *, model_said: str) -> None:
        super().__init__()
        self.answer = start
        self.topics = topics[:9]
        self.model_said = model_said

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            yield Static(id="fields")

    def on_mount(self) -> None:
        self._show_fields()

    def _show_fields(self) -> None:
        a = self.answer

        def choice(keys: dict[str, str], chosen: str, shown: dict[str, str] | None = None) -> str:
            return "   ".join(
                (f"[reverse] {k} {escape((shown or {}).get(v, v))} [/]" if v == chosen
                 else f"[b]{k}[/] {escape((shown or {}).get(v, v))}")
                for k, v in keys.items())

        topics = "   ".join(
            (f"[reverse] {i} {escape(t)} [/]" if t in a.topics else f"[b]{i}[/] {escape(t)}")
            for i, t in enumerate(self.topics, 1)) or "[dim]this watch has no topics[/]"
        self.query_one("#fields", Static).update(
            f"[b]Correct what the classifier said[/]   [dim]model: {escape(self.model_said)}[/]"
            f"\n\nsentiment      {choice(_SENTIMENT_KEYS, a.sentiment)}"
            f"\nneeds a reply  {choice(_NEED_KEYS, a.need, _NEED_SHOWN)}"
            f"\ntopics         {topics}"
            "\n\n[dim]enter saves (answers left as they are confirm the model), esc cancels[/]")

    def action_sentiment(self, value: str) -> None:
        self.answer = Correction(value, self.answer.need, self.answer.topics)
        self._show_fields()

    def action_need(self, value: str) -> None:
        self.answer = Correction(self.answer.sentiment, value, self.answer.topics)
        self._show_fields()

    def action_topic(self, index: int) -> None:
        if index >= len(self.topics):
            return
        topic = self.topics[index]
        chosen = set(self.answer.topics) ^ {topic}
        self.answer = Correction(self.answer.sentiment, self.answer.need,
                                 tuple(t for t in self.topics if t in chosen))
        self._show_fields()

    def action_save(self) -> None:
        self.dismiss(self.answer)

    def action_cancel(self) -> None:
        self.dismiss(None)
