"""Held-out check of a reply adapter: ROUGE-L, guardrail pass rate and which flags fire.

Rebuilds the held-out split `socialbot train replies` used (same data, seed and size),
drafts greedily with the given adapter (or none) at a chosen token budget, and prints the
figures with a count per guardrail flag code, the share of drafts the checks of issue 13
flag (refuses, off_topic, unstated_policy; `new checks flag`) and seconds per draft. The
first line reads the brand's real replies to the same posts as drafts: their `new
checks flag` is those checks' false-flag rate; the second, how many of the hand-written
bad drafts they catch (bench/draft_checks.py has both on larger halves). The off-topic
check reads topics with the configured classifier against
bench/topics/complaint_domains.toml (`--no-topic-check` skips loading it). With
`--from-metrics` it re-checks the drafts stored in the adapter's metrics.json instead of
generating (seconds, not minutes).

    .venv/bin/python bench/reply_heldout.py [--adapter models/reply-smollm2 | --no-adapter]
        [--max-new-tokens 120] [--from-metrics | --examples-only] [--no-topic-check]
"""

from __future__ import annotations

import argparse
import collections
import json
import time
from pathlib import Path

from models.reply_data import ReplyPair, load_pairs, split_pairs
from models.rouge import mean_rouge_l
from socialbot.cli.topics_cmd import read_topics
from socialbot.config import load_config
from socialbot.domain import Topic
from socialbot.drafting.check_rates import (
    NEW_CHECKS,
    as_draft,
    catch_rates,
    content_codes,
    load_bad_drafts,
    off_topic_codes,
)
from socialbot.drafting.guardrails import check, sanitise, sign
from socialbot.drafting.policy import brand_voice
from socialbot.drafting.topic_match import TopicScorer

REPO = Path(__file__).resolve().parents[1]
DOMAIN_TOPICS = REPO / "bench" / "topics" / "complaint_domains.toml"
BAD_DRAFTS = REPO / "tests" / "drafting" / "data" / "bad_drafts.jsonl"


def flags_for(draft: str, pair: ReplyPair) -> list[str]:
    """The flags the drafter would see: after the same repairs (sanitise, then sign)."""
    voice = pair.voice()
    text = sign(sanitise(draft, platform="twitter"), voice)
    flags = check(text, post_text=pair.post, platform="twitter", voice=voice)
    return [f.code for f in flags]


class TopicReader:
    """The classifier reading posts' topics and scoring drafts, as the draft stage does."""

    def __init__(self, scorer: TopicScorer, topics: list[Topic]) -> None:
        self.scorer = scorer
        self.topics = topics

    def codes(self, posts: list[str], drafts: list[str],
              topics: list[Topic] | None = None) -> list[set[str]]:
        topics = topics or self.topics
        read = self.scorer.predict_batch(posts, topics)  # type: ignore[attr-defined]
        post_topics = [[t.name for t in p.topics or []] for p in read]
        return off_topic_codes(self.scorer.topic_scores(drafts, topics), post_topics)


def new_check_codes(pairs: list[ReplyPair], drafts: list[str],
                    topics: TopicReader | None) -> list[set[str]]:
    """Each draft's codes from the checks of issue 13 (after the drafter's repairs)."""
    texts = [as_draft(d, p.voice()) for p, d in zip(pairs, drafts, strict=True)]
    codes = [content_codes(t, post=p.post, voice=p.voice())
             for p, t in zip(pairs, texts, strict=True)]
    if topics is not None:
        for c, more in zip(codes, topics.codes([p.post for p in pairs], texts), strict=True):
            c |= more
    return codes


def report(name: str, pairs: list[ReplyPair], drafts: list[str], *,
           topics: TopicReader | None = None, seconds: float | None = None) -> None:
    codes: collections.Counter[str] = collections.Counter()
    passed = 0
    for pair, draft in zip(pairs, drafts, strict=True):
        found = flags_for(draft, pair)
        passed += not found
        codes.update(found)
    new = new_check_codes(pairs, drafts, topics)
    flagged = sum(bool(c) for c in new)
    per_check = ", ".join(f"{check} {sum(check in c for c in new)}" for check in NEW_CHECKS
                          if topics is not None or check != "off_topic")
    speed = f", {seconds / len(drafts):.2f} s/draft" if seconds is not None else ""
    references = [p.reply for p in pairs]
    shown = [sign(sanitise(d, platform="twitter"), p.voice()) for d, p in zip(drafts, pairs,
                                                                             strict=True)]
    print(
        f"{name}: ROUGE-L {mean_rouge_l(drafts, references):.4f} as generated, "
        f"{mean_rouge_l(shown, references):.4f} as the queue shows it, "
        f"guardrail pass {passed}/{len(pairs)} ({passed / len(pairs):.1%}), "
        f"new checks flag {flagged}/{len(pairs)} ({flagged / len(pairs):.1%}: {per_check}), "
        f"mean length {sum(map(len, drafts)) / len(drafts):.0f} chars{speed}, "
        f"flags {dict(codes)}"
    )


def report_bad_drafts(topics: TopicReader | None) -> None:
    """How many hand-written bad drafts the checks catch, with the demo's voice and topics."""
    bad = load_bad_drafts(BAD_DRAFTS)
    watch = load_config(REPO / "config.toml").watch[0]
    voice = brand_voice(watch)
    texts = [as_draft(b.draft, voice) for b in bad]
    codes = [content_codes(t, post=b.post, voice=voice, known=[s.text for s in watch.saved_reply])
             for b, t in zip(bad, texts, strict=True)]
    if topics is not None:
        more = topics.codes([b.post for b in bad], texts, watch.topics)
        codes = [c | m for c, m in zip(codes, more, strict=True)]
    caught = catch_rates(bad, codes)
    print("bad drafts (tests/drafting/data/bad_drafts.jsonl) caught: "
          + ", ".join(f"{check} {rate}" for check, rate in caught.items()))


def nearest_replies(classifier: object, train: list[ReplyPair],
                    held_out: list[ReplyPair]) -> list[str]:
    """"Examples only": each held-out post answered with the brand's own reply to its
    most similar training post (same brand first), by the classifier's embedding: what
    the drafter proposes from approved history with no generator at all."""
    embed = classifier.embed  # type: ignore[attr-defined]
    known = embed([p.post for p in train])
    asked = embed([p.post for p in held_out])
    similar = asked @ known.T
    replies = []
    for row, pair in zip(similar, held_out, strict=True):
        same = [i for i, t in enumerate(train) if t.brand == pair.brand]
        pool = same or list(range(len(train)))
        best = max(pool, key=lambda i: float(row[i]))
        replies.append(train[best].reply)
    return replies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["../shared/data/replies"])
    parser.add_argument("--adapter", type=Path, default=Path("models/reply-smollm2"))
    parser.add_argument("--no-adapter", action="store_true", help="score the bare base model")
    parser.add_argument("--base", default=None,
                        help="base model: gemma3-270m, a .gguf file or a HF folder "
                        "(default: the packaged SmolLM2)")
    parser.add_argument("--held-out", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-new-tokens", type=int, default=60)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--from-metrics", action="store_true", help="re-check stored drafts")
    parser.add_argument("--examples-only", action="store_true",
                        help="score the nearest training reply as the draft (no generator)")
    parser.add_argument("--no-topic-check", action="store_true",
                        help="leave out the off-topic check (no classifier is loaded)")
    opts = parser.parse_args()

    train, held_out = split_pairs(load_pairs(opts.data), held_out=opts.held_out,
                                  seed=opts.seed)
    topics = None
    if not opts.no_topic_check or opts.examples_only:
        from socialbot.stages.classify import load_configured_classifier

        config = load_config(REPO / "config.toml")
        classifier = load_configured_classifier(config.classifier, config)
        topics = None if opts.no_topic_check else TopicReader(
            classifier, read_topics(DOMAIN_TOPICS))  # type: ignore[arg-type]
    report("real brand replies", held_out, [p.reply for p in held_out], topics=topics)
    report_bad_drafts(topics)
    if opts.examples_only:
        started = time.perf_counter()
        drafts = nearest_replies(classifier, train, held_out)
        report("examples only (nearest training reply, same brand)", held_out, drafts,
               topics=topics, seconds=time.perf_counter() - started)
        return
    if opts.from_metrics:
        metrics = json.loads((opts.adapter / "metrics.json").read_text())
        by_post = {p.post: p for p in held_out}
        for side in ("before", "after"):
            if metrics[side] is None:  # trained with --no-base-eval
                continue
            examples = metrics[side]["examples"]
            report(side, [by_post[e["post"]] for e in examples], [e["draft"] for e in examples],
                   topics=topics)
        return

    from models.generator import ReplyGenerator

    adapter = None if opts.no_adapter else opts.adapter
    generator = ReplyGenerator.load(opts.base, adapter=adapter, threads=opts.threads)
    started = time.perf_counter()
    drafts = generator.generate(
        [p.request() for p in held_out],
        voice=[p.voice() for p in held_out],
        temperature=0,
        max_new_tokens=opts.max_new_tokens,
    )
    seconds = time.perf_counter() - started
    report(f"{generator.version} @ {opts.max_new_tokens} tokens", held_out, drafts,
           topics=topics, seconds=seconds)


if __name__ == "__main__":
    main()
