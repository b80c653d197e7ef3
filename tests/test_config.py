"""Config: the demo file is valid, and every kind of mistake names its key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from socialbot.config import load_config, parse_config, parse_duration
from socialbot.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def test_shipped_config_is_valid_and_is_the_demo() -> None:
    config = load_config(REPO / "config.toml")
    assert config.posting.dry_run is True
    assert [s.kind for s in config.source] == ["replay"]
    topics = {t.name for t in config.get_watch(None).topics}
    assert {"delivery", "billing"} <= topics


def test_the_demo_saved_replies_pass_the_guardrails() -> None:
    from socialbot.grounding.saved import unsendable

    watch = load_config(REPO / "config.toml").get_watch(None)
    assert len(watch.saved_reply) >= 5
    assert unsendable(watch) == []


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(30, 30.0), ("30s", 30.0), ("5m", 300.0), ("2h", 7200.0), ("7d", 604800.0), ("250ms", 0.25)],
)
def test_durations(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[daemon]\npage_size = 0\n", "daemon.page_size"),
        ('[daemon]\ndefault_interval = "soon"\n', "daemon.default_interval"),
        ('[daemon.intervals]\ningest = "-5s"\n', "daemon.intervals.ingest"),
        ('[databse]\nurl = "x"\n', "databse: unknown key"),
        ('[posting]\ndry_run = "no"\n', "posting.dry_run"),
        ('[[watch]]\nname = "a b"\n', "watch[0].name"),
        ('[[watch]]\nname = "a"\n[[watch.topic]]\nname = "other"\ndescription = "x"\n', "reserved"),
        ('[[source]]\nname = "s"\nkind = "replay"\nwatch = "nope"\n', "source[0].watch"),
        (
            '[[source]]\nname = "s"\nkind = "replay"\n[[source]]\nname = "s"\nkind = "replay"\n',
            "source[1].name",
        ),
        ("[daemon\n", "invalid TOML"),
        ('[ingest]\nearliest_post = "last year"\n', "ingest.earliest_post"),
        ("[ingest]\nearliest_post = 2006-03-21T10:00:00\n", "ingest.earliest_post"),
        ("[ingest]\nearliest_post = 0001-01-01\n", "ingest.earliest_post"),
        ('[ingest]\nmax_future = "soon"\n', "ingest.max_future"),
        ('[ingest]\nmax_future = "400d"\n', "ingest.max_future"),
        ("[ingest]\nlatest_post = 2030-01-01\n", "ingest.latest_post: unknown key"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, toml: str, expected: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert expected in str(info.value)
    assert str(path) in str(info.value)


def test_ingest_date_range_defaults_and_overrides(tmp_path: Path) -> None:
    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    default = parse_config({}).ingest.date_range(now)
    assert default == (datetime(2006, 3, 21, tzinfo=UTC), datetime(2026, 12, 7, 12, tzinfo=UTC))
    path = tmp_path / "config.toml"
    path.write_text('[ingest]\nearliest_post = 2015-06-01\nmax_future = "2h"\n')
    earliest, latest = load_config(path).ingest.date_range(now)
    assert (earliest, latest) == (datetime(2015, 6, 1, tzinfo=UTC), now + timedelta(hours=2))


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[database]\nurl = "sqlite:///x.db"\nbusy_timeout = \n')
    with pytest.raises(ConfigError, match="line 3"):
        load_config(path)


def test_missing_file_says_how_to_choose_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SOCIALBOT_CONFIG"):
        load_config(tmp_path / "absent.toml")


def test_environment_variable_selects_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text("[daemon]\npage_size = 7\n")
    monkeypatch.setenv("SOCIALBOT_CONFIG", str(path))
    monkeypatch.chdir(tmp_path)
    assert load_config().daemon.page_size == 7


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    config = parse_config({}, path=tmp_path / "sub" / "config.toml")
    assert config.resolve_path("var/x.db") == tmp_path / "sub" / "var" / "x.db"


def test_source_options_reach_the_connector_untouched() -> None:
    config = parse_config(
        {"source": [{"name": "s", "kind": "replay", "path": "a.jsonl", "follow": False}]}
    )
    assert config.source[0].options == {"path": "a.jsonl", "follow": False}
