"""Does a post need a reply? A complaint / question / neither head on the classifier's pass.

The head reads the same ``[CLS]`` + mean-pooled vector as the sentiment head, so it
costs one small matrix product per batch. It is trained on posts written *to* brands
(the complaints corpus of Preoţiuc-Pietro et al. 2019: complaint or not), with the
non-complaints that ask something labelled `question` from their form (a question
mark, or an opening such as "how do I"). Praise written to brands (the positive rows
of a brand-directed sentiment set) can be added as posts that need no reply.

The head is either fitted on a frozen encoder (`train_need_head`, seconds; sentiment and
topics stay exactly as they were) or trained with the encoder, next to the sentiment
head (`models.training.train_sentiment` with need rows).
"""

from __future__ import annotations

import csv
import math
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
from torch import nn

from models.datasets import DataFormatError, LabelledText, hash_split_path, in_heldout
from socialbot.domain import SENTIMENTS

#: What a post needs, in the head's output order.
NEEDS: tuple[str, ...] = ("complaint", "question", "none")
#: The head's weights inside a classifier artefact folder.
HEAD_FILE = "need_head.safetensors"

_WH = frozenset({"how", "why", "what", "when", "where", "who", "which"})
_AUXILIARY = frozenset({"can", "could", "do", "does", "did", "is", "are", "will", "would",
                        "should", "has", "have", "anyone", "anybody"})


class ReplyNeedHead(nn.Module):
    """A linear read-out of complaint / question / none from ``[CLS]`` + mean vector."""

    def __init__(self, hidden_size: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(2 * hidden_size, len(NEEDS))

    def forward(self, cls: torch.Tensor, mean: torch.Tensor) -> torch.Tensor:
        return self.out(self.dropout(torch.cat([cls, mean], dim=-1)))


@dataclass(frozen=True, slots=True)
class NeedExample:
    text: str
    label: int  # index into NEEDS


def asks(text: str) -> bool:
    """A question by its form: a question mark, a question word opening the post ("how do
    I ..."), or an auxiliary opening it before more words ("can you ...")."""
    if "?" in text:
        return True
    words = [w.strip(".,:;!\"'()").lower() for w in text.split() if not w.startswith("@")]
    words = [w for w in words if w]
    if not words:
        return False
    return words[0] in _WH or (words[0] in _AUXILIARY and len(words) > 1)


def load_complaints(path: str | Path) -> list[NeedExample]:
    """complaints.tsv (`id  complaint  domain  text`) as complaint / question / none rows.

    `path` may end in ``@train`` or ``@heldout`` for the fixed hash split of the file
    (see `models.datasets`).
    """
    file, part = hash_split_path(path)
    if not file.exists():
        raise DataFormatError(f"{file}: no such file")
    rows = []
    with file.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        if not {"complaint", "text"} <= set(reader.fieldnames or ()):
            raise DataFormatError(f"{file}: expected columns 'complaint' and 'text'")
        for number, r in enumerate(reader, 2):
            text = (r["text"] or "").strip()
            if not text:
                continue
            if part is not None and in_heldout(text) != (part == "heldout"):
                continue
            if r["complaint"] not in ("0", "1"):
                raise DataFormatError(f"{file}:{number}: complaint must be 0 or 1")
            label = 0 if r["complaint"] == "1" else (1 if asks(text) else 2)
            rows.append(NeedExample(text, label))
    return rows


def praise_rows(rows: Sequence[LabelledText]) -> list[NeedExample]:
    """The positive rows of brand-directed sentiment data, as posts that need no reply.

    The complaints corpus's non-complaints are mostly posts not written to a brand, so a
    head trained on it alone learns "names an order or a delivery" as a complaint and
    reads praise such as "delivery right on time again" as one. A praise row that asks
    something by its form is a question, as in `load_complaints`.
    """
    return no_reply_rows(rows, sentiments=("positive",))


def no_reply_rows(
    rows: Sequence[LabelledText], *, sentiments: Sequence[str] = ("positive", "neutral")
) -> list[NeedExample]:
    """Rows of general sentiment data with one of `sentiments`, as posts needing no reply.

    Praise and news on Twitter at large ("never had a late delivery", "new store opens
    Friday") teach the head that naming a delivery or an order is not a complaint; the
    complaints corpus alone has too few of them. A row that asks by its form is a question.
    """
    wanted = {SENTIMENTS.index(s) for s in sentiments}
    return [NeedExample(r.text, 1 if asks(r.text) else 2) for r in rows if r.label in wanted]


#: Mentions a post opens with: whom it is addressed to ("@user @user thanks ..."), after
#: `models.text.normalise_text` has turned every user name into "@user".
_ADDRESSED = re.compile(r"^(?:@user\b[,:]?\s*)+")


def balance_addressing(texts: Sequence[str], rng: random.Random) -> list[str]:
    """Each normalised text addressed to someone ("@user ...") or not, by a coin toss.

    In the complaints corpus the complaints mostly open with a mention and the rest mostly
    do not, so a head learns "addressed to someone" as a complaint and reads "@brand
    delivery turned up early, courier super friendly" as one. Whether a post is addressed
    to the brand is the reply policy's rule to check; the head should judge what it says.
    """
    out = []
    for text in texts:
        bare = _ADDRESSED.sub("", text) or text
        out.append(f"@user {bare}" if rng.random() < 0.5 else bare)
    return out


def class_weights(labels: torch.Tensor) -> torch.Tensor:
    """Inverse-frequency loss weights, so the rarer questions are not drowned by the rest."""
    counts = torch.bincount(labels, minlength=len(NEEDS)).float().clamp(min=1)
    return counts.sum() / (len(NEEDS) * counts)


def rows_per_label(labels: Sequence[int]) -> dict[str, int]:
    return {name: sum(1 for label in labels if label == i) for i, name in enumerate(NEEDS)}


@dataclass(frozen=True, slots=True)
class NeedTraining:
    """How the head is fitted: full-batch AdamW on frozen features (seconds on a CPU)."""

    steps: int = 300
    learning_rate: float = 1e-3
    weight_decay: float = 1e-2
    seed: int = 0

    def __post_init__(self) -> None:
        if self.steps < 1 or self.learning_rate <= 0 or self.weight_decay < 0:
            raise ValueError("steps >= 1, learning_rate > 0 and weight_decay >= 0 are needed")


def fit_head(features: torch.Tensor, labels: torch.Tensor, hidden_size: int,
             args: NeedTraining) -> ReplyNeedHead:
    """Fit a `ReplyNeedHead` to (N, 2*hidden) features, classes weighted by inverse
    frequency."""
    torch.manual_seed(args.seed)
    head = ReplyNeedHead(hidden_size)
    weights = class_weights(labels)
    optimiser = torch.optim.AdamW(head.parameters(), lr=args.learning_rate,
                                  weight_decay=args.weight_decay)
    head.train()
    for _ in range(args.steps):
        optimiser.zero_grad()
        loss = nn.functional.cross_entropy(head(*features.chunk(2, dim=-1)), labels,
                                           weight=weights)
        loss.backward()
        optimiser.step()
    return head.eval()


@dataclass(frozen=True, slots=True)
class NeedReport:
    """How well the head separates complaints, questions and the rest."""

    rows: int
    complaint_precision: float
    complaint_recall: float
    complaint_f1: float
    #: complaint or question, against none: what decides whether a post gets a draft
    reply_precision: float
    reply_recall: float
    accuracy: float
    confusion: list[list[int]]

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__}


def score(predicted: Sequence[int], gold: Sequence[int]) -> NeedReport:
    """Precision/recall/F1 of `predicted` need labels against `gold`."""
    confusion = [[0] * len(NEEDS) for _ in NEEDS]
    for p, g in zip(predicted, gold, strict=True):
        confusion[g][p] += 1

    def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        return round(precision, 4), round(recall, 4), round(f1, 4)

    c_tp = confusion[0][0]
    c_fp = sum(confusion[g][0] for g in (1, 2))
    c_fn = sum(confusion[0][p] for p in (1, 2))
    reply = [(p != 2, g != 2) for p, g in zip(predicted, gold, strict=True)]
    r_tp = sum(1 for p, g in reply if p and g)
    r_fp = sum(1 for p, g in reply if p and not g)
    r_fn = sum(1 for p, g in reply if g and not p)
    cp, cr, cf = prf(c_tp, c_fp, c_fn)
    rp, rr, _ = prf(r_tp, r_fp, r_fn)
    correct = sum(confusion[i][i] for i in range(len(NEEDS)))
    return NeedReport(len(gold), cp, cr, cf, rp, rr,
                      round(correct / len(gold), 4) if gold else math.nan, confusion)


def save_head_weights(folder: Path, head: ReplyNeedHead) -> None:
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in head.state_dict().items()}, str(folder / HEAD_FILE))


def write_head(folder: Path, head: ReplyNeedHead, meta: dict[str, object]) -> None:
    """Save the head into the artefact at `folder` and record how it was made."""
    from models.artefact import ArtefactConfig

    save_head_weights(folder, head)
    config = ArtefactConfig.load(folder)
    config.extra["reply_need"] = meta
    config.save(folder)


def read_head(folder: Path, hidden_size: int) -> ReplyNeedHead | None:
    """The artefact's need head, or None when it was trained without one."""
    from safetensors.torch import load_file

    path = folder / HEAD_FILE
    if not path.exists():
        return None
    head = ReplyNeedHead(hidden_size)
    head.load_state_dict(load_file(str(path)))
    return head.eval()


def train_need_head(
    model_dir: str | Path, rows: Sequence[NeedExample], args: NeedTraining | None = None, *,
    data: str = "", progress: Callable[[int, int], None] | None = None,
) -> ReplyNeedHead:
    """Fit the need head on the artefact at `model_dir` (its encoder frozen) and save it there.

    The features come from the fp32 encoder; `progress(done, total)` follows them.
    """
    from models.classifier import PostClassifier

    args = args or NeedTraining()
    if not rows:
        raise ValueError("no training rows")
    folder = Path(model_dir)
    classifier = PostClassifier.from_pretrained(folder)
    texts = [r.text for r in rows]
    chunks = [texts[i:i + 256] for i in range(0, len(texts), 256)]
    parts = []
    for done, chunk in enumerate(chunks, 1):
        parts.append(classifier.features(chunk))
        if progress:
            progress(min(done * 256, len(texts)), len(texts))
    features = torch.cat(parts)
    labels = torch.tensor([r.label for r in rows])
    head = fit_head(features, labels, features.shape[-1] // 2, args)
    write_head(folder, head, {
        "labels": list(NEEDS), "data": data, "rows": len(rows),
        "rows_per_label": rows_per_label(labels.tolist()),
        "training": {"steps": args.steps, "learning_rate": args.learning_rate,
                     "weight_decay": args.weight_decay, "seed": args.seed,
                     "encoder": "frozen, fp32", "class_weights": "inverse frequency"},
    })
    return head


def evaluate_need(model_dir: str | Path | None, rows: Sequence[NeedExample], *,
                  quantize: bool | Literal["auto"] = False) -> NeedReport:
    """Score the artefact's need head on labelled `rows`."""
    from models.classifier import PostClassifier

    classifier = PostClassifier.from_pretrained(model_dir, quantize=quantize)
    predictions = classifier.predict_batch([r.text for r in rows])
    if any(p.need is None for p in predictions):
        raise ValueError(f"{model_dir or 'the shipped model'} has no need head "
                         "(socialbot train need)")
    return score([NEEDS.index(p.need or "none") for p in predictions], [r.label for r in rows])
