"""The draft checks of issue 13 measured: false flags on real brand replies, catches on bad drafts.

Every real brand reply (../shared/data/replies) is read as if it were a draft answering
its own post; a flag on it is a false flag. The replies are split in two halves by
conversation (`check_rates.split_for_checks`): thresholds are tuned on the validation
half (`--sweep` prints the off-topic check's grid there) and reported on the held-out
half. The unstated-policy check is shown twice: with only the pair's own links known
(a brand that told socialbot nothing) and with the brand's replies from its other
conversations known (a brand whose saved replies state its policies).
The bad drafts (tests/drafting/data/bad_drafts.jsonl: the five from issue 13 and
hand-written ones) are checked with the demo's Parcelly voice and topics (config.toml).
The off-topic check reads topics with the configured classifier: the real replies
against bench/topics/complaint_domains.toml, the bad drafts against the watch's topics.

    .venv/bin/python bench/draft_checks.py [--data ../shared/data/replies] [--sweep]
        [--no-topics] [--config config.toml]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from models.reply_data import ReplyPair, load_pairs
from socialbot.cli.topics_cmd import read_topics
from socialbot.config import load_config
from socialbot.domain import Topic
from socialbot.drafting.check_rates import (
    NEW_CHECKS,
    BadDraft,
    Rate,
    as_draft,
    brand_replies,
    catch_rates,
    content_codes,
    load_bad_drafts,
    off_topic_codes,
    rates,
    saved_for,
    split_for_checks,
)
from socialbot.drafting.policy import brand_voice
from socialbot.drafting.topic_match import DRAFT_TOPIC_MARGIN, DRAFT_TOPIC_THRESHOLD, OFF_TOPIC

REPO = Path(__file__).resolve().parents[1]
BAD_DRAFTS = REPO / "tests" / "drafting" / "data" / "bad_drafts.jsonl"
DOMAIN_TOPICS = REPO / "bench" / "topics" / "complaint_domains.toml"
THRESHOLDS = (0.35, 0.40, 0.45, 0.50, 0.55, 0.60)
MARGINS = (0.0, 0.05, 0.10, 0.15, 0.20)


class TopicReadings:
    """The classifier's reading of posts (their topics) and drafts (topic scores)."""

    def __init__(self, config_path: Path) -> None:
        from socialbot.stages.classify import load_configured_classifier

        config = load_config(config_path)
        self.classifier = load_configured_classifier(config.classifier, config)

    def read(self, posts: Sequence[str], drafts: Sequence[str], topics: Sequence[Topic]
             ) -> tuple[list[tuple[str, ...]], list[dict[str, float]]]:
        predictions = self.classifier.predict_batch(list(posts), topics)
        post_topics = [tuple(t.name for t in p.topics or []) for p in predictions]
        return post_topics, self.classifier.topic_scores(list(drafts), topics)  # type: ignore[attr-defined]


def real_codes(pairs: Sequence[ReplyPair], *, saved: bool, everything: Sequence[ReplyPair]
               ) -> list[set[str]]:
    by_brand = brand_replies(everything)
    return [
        content_codes(as_draft(p.reply, p.voice()), post=p.post, voice=p.voice(),
                      known=saved_for(p, by_brand) if saved else ())
        for p in pairs
    ]


def print_table(rows: list[tuple[str, dict[str, Rate]]]) -> None:
    width = max(len(name) for name, _ in rows) + 2
    print(f"{'':{width}}" + "".join(f"{c:>18}" for c in (*NEW_CHECKS, "any")))
    for name, found in rows:
        print(f"{name:{width}}" + "".join(f"{found.get(c, '-')!s:>18}"
                                          for c in (*NEW_CHECKS, "any")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["../shared/data/replies"])
    parser.add_argument("--config", type=Path, default=REPO / "config.toml")
    parser.add_argument("--no-topics", action="store_true", help="skip the off-topic check "
                        "(no classifier is loaded)")
    parser.add_argument("--sweep", action="store_true",
                        help="print the off-topic check's threshold x margin grid")
    opts = parser.parse_args()

    pairs = load_pairs(opts.data)
    validation, held_out = split_for_checks(pairs)
    bad = load_bad_drafts(BAD_DRAFTS)
    watch = load_config(opts.config).watch[0]
    voice = brand_voice(watch)
    saved_texts = [s.text for s in watch.saved_reply]
    parts = {"validation": validation, "held-out": held_out}
    codes = {name: real_codes(part, saved=False, everything=pairs) for name, part in parts.items()}
    saved_codes = real_codes(held_out, saved=True, everything=pairs)
    bad_codes = [content_codes(as_draft(b.draft, voice), post=b.post, voice=voice,
                               known=saved_texts) for b in bad]

    if not opts.no_topics:
        readings = TopicReadings(opts.config)
        topics = read_topics(DOMAIN_TOPICS)
        read = {name: readings.read([p.post for p in part],
                                    [as_draft(p.reply, p.voice()) for p in part], topics)
                for name, part in parts.items()}
        bad_read = readings.read([b.post for b in bad], [as_draft(b.draft, voice) for b in bad],
                                 watch.topics)
        if opts.sweep:
            sweep(read["validation"], bad, bad_read)
        for name in parts:
            for c, more in zip(codes[name], off_topic_codes(read[name][1], read[name][0]),
                               strict=True):
                c |= more
        for c, more in zip(saved_codes, off_topic_codes(read["held-out"][1],
                                                        read["held-out"][0]), strict=True):
            c |= more
        for c, more in zip(bad_codes, off_topic_codes(bad_read[1], bad_read[0]), strict=True):
            c |= more

    print(f"off-topic: draft topic >= {DRAFT_TOPIC_THRESHOLD}, "
          f"ahead of the post's by >= {DRAFT_TOPIC_MARGIN}")
    print("false flags on real brand replies (lower is better):")
    print_table([
        ("validation", rates(codes["validation"])),
        ("held-out", rates(codes["held-out"])),
        ("held-out, brand's other replies known", rates(saved_codes)),
    ])
    print("bad drafts caught by the check written for them (higher is better):")
    print_table([
        ("all bad drafts", catch_rates(bad, bad_codes)),
        ("issue 13's five", catch_rates([b for b in bad if b.source == "issue 13"],
                                        [c for b, c in zip(bad, bad_codes, strict=True)
                                         if b.source == "issue 13"])),
    ])


def sweep(validation: tuple[list[tuple[str, ...]], list[dict[str, float]]], bad: list[BadDraft],
          bad_read: tuple[list[tuple[str, ...]], list[dict[str, float]]]) -> None:
    """The off-topic check's false flags (validation half) and catches per setting."""
    post_topics, scores = validation
    mine = [i for i, b in enumerate(bad) if b.catches == OFF_TOPIC]
    print("off-topic sweep: threshold margin | validation false flags | bad drafts caught")
    for threshold in THRESHOLDS:
        for margin in MARGINS:
            false = rates(off_topic_codes(scores, post_topics, threshold=threshold,
                                          margin=margin))[OFF_TOPIC]
            caught = off_topic_codes([bad_read[1][i] for i in mine],
                                     [bad_read[0][i] for i in mine],
                                     threshold=threshold, margin=margin)
            hits = Rate(sum(OFF_TOPIC in c for c in caught), len(mine))
            print(f"  {threshold:.2f} {margin:.2f} | {false!s:>14} | {hits}")


if __name__ == "__main__":
    main()
