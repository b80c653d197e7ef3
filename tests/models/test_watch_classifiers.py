"""A classifier per watch, end to end on tiny artefacts: each watch's posts are classified by
its own model, and a retrain on one watch's labels changes that watch's model and posts only."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from socialbot.cli import app
from socialbot.config import load_config
from socialbot.domain import Page, Post
from socialbot.store import open_store
from socialbot.store.ingest import POSTS, write_page
from socialbot.store.labels import record_labels
from socialbot.store.predictions import PREDICTIONS
from tests.models.conftest import NEGATIVE, NEUTRAL, POSITIVE

T0 = datetime(2026, 11, 1, tzinfo=UTC)
WATCHES = ("parcelly", "fruitco")


def _artefact(tiny: Path, folder: Path, version: str) -> Path:
    """A copy of the tiny artefact that says `version`, as a retrain's folder would."""
    shutil.copytree(tiny, folder)
    meta = json.loads((folder / "classifier.json").read_text())
    (folder / "classifier.json").write_text(json.dumps({**meta, "version": version}))
    return folder


def _texts(n: int, seed: int) -> list[tuple[str, str]]:
    """(text, sentiment by its cue word) pairs, as the tiny artefact learned them."""
    rng = random.Random(seed)
    cues = {"negative": NEGATIVE, "neutral": NEUTRAL, "positive": POSITIVE}
    out = []
    for i in range(n):
        sentiment = ("negative", "neutral", "positive")[i % 3]
        out.append((f"{rng.choice(NEUTRAL)} {rng.choice(cues[sentiment])} #{seed}-{i}",
                    sentiment))
    return out


@pytest.fixture
def config_file(tmp_path: Path, tiny_artefact: Path) -> Path:
    """Two watches, each with a classifier folder of its own (named relative to the config),
    and stored posts of both, not classified yet."""
    for watch in WATCHES:
        _artefact(tiny_artefact, tmp_path / "models" / watch, f"tiny-{watch}-v1")
    path = tmp_path / "config.toml"
    path.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "bot.db"}"\n\n'
        '[classifier]\nquantize = false\nthreads = 1\ntopic_encoder = "shared"\n\n'
        + "".join(f'[[watch]]\nname = "{w}"\nclassifier = "models/{w}"\n\n' for w in WATCHES))
    store = open_store(load_config(path))
    with store.transaction() as conn:
        for n, watch in enumerate(WATCHES):
            posts = [Post("twitter", f"{watch}-{i}", text, T0 + timedelta(minutes=i))
                     for i, (text, _) in enumerate(_texts(60 if n == 0 else 12, seed=n))]
            write_page(conn, Page(posts), source="test", kind="replay", watch=watch)
    store.dispose()
    return path


def _cli(config: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["--config", str(config), *args], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def _predictions(config: Path) -> dict[str, dict[str, tuple[str, datetime]]]:
    """watch -> post id -> (model version, classified at)."""
    store = open_store(load_config(config))
    out: dict[str, dict[str, tuple[str, datetime]]] = {w: {} for w in WATCHES}
    with store.reading() as conn:
        for r in conn.execute(select(POSTS.c.watch, POSTS.c.post_id, PREDICTIONS.c.model_version,
                                     PREDICTIONS.c.classified_at)
                              .join(PREDICTIONS, PREDICTIONS.c.post_pk == POSTS.c.id)):
            out[r.watch][r.post_id] = (r.model_version, r.classified_at)
    store.dispose()
    return out


def _versions(config: Path) -> dict[str, set[str]]:
    return {w: {v for v, _ in posts.values()} for w, posts in _predictions(config).items()}


def _digest(folder: Path) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(folder.iterdir())
                                   if p.is_file())).hexdigest()


@pytest.mark.timeout(120)  # a post stale for ever would make `run --once` never drain
def test_each_watch_s_posts_are_classified_by_its_own_model(config_file: Path) -> None:
    _cli(config_file, "run", "--once", "--only", "classify")
    assert _versions(config_file) == {"parcelly": {"tiny-parcelly-v1"},
                                      "fruitco": {"tiny-fruitco-v1"}}
    status = " ".join(_cli(config_file, "status").replace("│", " ").split())
    assert "parcelly model tiny-parcelly-v1" in status
    assert "fruitco model tiny-fruitco-v1" in status
    assert "to reclassify 0" in status


def _label_parcelly(config: Path) -> None:
    """The brand's people read parcelly's posts the other way round: praise words are
    sarcasm there, so the tiny model (trained on the plain reading) gets them wrong."""
    flipped = {"negative": "positive", "positive": "negative", "neutral": "neutral"}
    store = open_store(load_config(config))
    with store.transaction() as conn:
        for i, (_, sentiment) in enumerate(_texts(60, seed=0)):
            record_labels(conn, platform="twitter", post_id=f"parcelly-{i}",
                          values={"sentiment": flipped[sentiment]}, labeller="ana",
                          source="queue", sample="drafted", now=T0 + timedelta(days=1))
    store.dispose()


@pytest.mark.timeout(180)  # about 15 s; a post stale for ever would never drain
def test_a_retrain_of_one_watch_changes_its_model_and_posts_only(
    config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # no ../shared public data: the labels alone, kept small
    _cli(config_file, "run", "--once", "--only", "classify")
    _label_parcelly(config_file)
    before = _predictions(config_file)
    fruitco_model = _digest(tmp_path / "models" / "fruitco")

    out = _cli(config_file, "train", "sentiment", "--labels", "--watch", "parcelly",
               "--max-steps", "120", "--threads", "1")
    assert f"installed at {tmp_path / 'models' / 'parcelly'}" in " ".join(out.split())
    assert "classifier =" not in out  # the watch already names that folder
    new = json.loads((tmp_path / "models" / "parcelly" / "classifier.json").read_text())
    assert new["version"].startswith("sentiment-labels-")
    assert json.loads((tmp_path / "models" / "parcelly.previous" / "classifier.json")
                      .read_text())["version"] == "tiny-parcelly-v1"
    assert _digest(tmp_path / "models" / "fruitco") == fruitco_model

    _cli(config_file, "run", "--once", "--only", "classify")  # the background reclassify job
    after = _predictions(config_file)
    assert {v for v, _ in after["parcelly"].values()} == {new["version"]}
    assert after["fruitco"] == before["fruitco"]  # same version, not even re-done

    out = _cli(config_file, "reclassify", "--watch", "parcelly")  # by hand: the same
    assert f"60 posts reclassified with parcelly: {new['version']}" in " ".join(out.split())
    assert _predictions(config_file)["fruitco"] == before["fruitco"]


def test_a_watch_without_its_own_folder_gets_the_line_to_add(
    tmp_path: Path, tiny_artefact: Path,
) -> None:
    from socialbot.labels.watch_model import retrain_paths

    shipped = tmp_path / "shipped"
    config = tmp_path / "config.toml"
    config.write_text('[classifier]\nmodel = "models/global"\n\n'
                      '[[watch]]\nname = "parcelly"\n\n[[watch]]\nname = "fruitco"\n')
    paths = retrain_paths(load_config(config), load_config(config).get_watch("parcelly"),
                          shipped=shipped)
    assert paths.current == tmp_path / "models" / "global"  # it starts from the global one
    assert paths.target == tmp_path / "var" / "models" / "sentiment-parcelly"  # not over it
    assert paths.config_line == 'classifier = "var/models/sentiment-parcelly"'
    assert paths.shared_with == ()


def test_an_install_over_another_watch_s_model_names_that_watch(tmp_path: Path) -> None:
    from socialbot.labels.watch_model import retrain_paths

    config = tmp_path / "config.toml"
    config.write_text('[[watch]]\nname = "parcelly"\n\n'
                      '[[watch]]\nname = "fruitco"\nclassifier = "models/fruitco"\n')
    loaded = load_config(config)
    paths = retrain_paths(loaded, loaded.get_watch("parcelly"), shipped=tmp_path / "shipped",
                          install_to=tmp_path / "models" / "fruitco")
    assert paths.current == tmp_path / "shipped"
    assert paths.shared_with == ("fruitco",)


@pytest.mark.parametrize("how", ["--install-to", "watch classifier"])
def test_a_retrain_never_writes_over_the_shipped_model(tmp_path: Path, how: str) -> None:
    from models.classifier import DEFAULT_MODEL

    config = tmp_path / "config.toml"
    own = f'classifier = "{DEFAULT_MODEL}"\n' if how == "watch classifier" else ""
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "bot.db"}"\n\n'
                      f'[[watch]]\nname = "parcelly"\n{own}')
    extra = ["--install-to", str(DEFAULT_MODEL)] if how == "--install-to" else []
    result = CliRunner().invoke(app, ["--config", str(config), "train", "sentiment",
                                      "--labels", "--watch", "parcelly", *extra])
    assert result.exit_code == 2, result.output
    assert "is the shipped model, which is never replaced" in " ".join(result.output.split())


def test_drafts_are_read_by_their_watchs_own_model_the_one_in_memory(
        config_file: Path) -> None:
    """The draft stage's off-topic check reads a watch's drafts with the model that read
    its posts, the classify stage's own instance: one copy in memory, not a second load of
    the global model."""
    from socialbot.drafting.topic_match import TopicMatch
    from socialbot.stages import build_stages
    from socialbot.stages.base import StageContext
    from socialbot.stages.classify import ClassifyStage
    from socialbot.stages.draft import DraftStage, SharedScorer

    text = config_file.read_text()
    config_file.write_text(text.replace(
        'classifier = "models/fruitco"\n',
        'classifier = "models/fruitco"\n\n[watch.reply]\nenabled = true\n'
        'handles = ["fruitco"]\n\n[[watch.topic]]\nname = "delivery"\n'
        'description = "parcels arriving late"\n\n', 1))
    config = load_config(config_file)
    store = open_store(config)
    try:
        ctx = StageContext(config=config, store=store)
        stages = build_stages(ctx, only={"classify", "draft"})
        [classify] = [s for s in stages if isinstance(s, ClassifyStage)]
        [draft] = [s for s in stages if isinstance(s, DraftStage)]
        match = draft.topic_match("fruitco")
        assert isinstance(match, TopicMatch) and isinstance(match.scorer, SharedScorer)
        assert match.scorer.model is classify.models.for_watch("fruitco")
        assert match.scorer.lock is classify.models.lock  # one forward pass at a time
        assert classify.models.for_watch("fruitco").version == "tiny-fruitco-v1"
        assert classify.models is ctx.classifiers()
        # it scores, under the lock the classify stage holds while it classifies
        assert set(match.scorer.topic_scores(["my parcel is late"], match.topics)[0]) == {
            "delivery"}
    finally:
        store.dispose()
