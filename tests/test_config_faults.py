"""Faults in configuration, the command line or the data folder end as one `error:` line
and the README's exit code (2: bad configuration or command line), never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from socialbot.cli import app


def _error_line(args: list[str], code: int, *, alone: bool = True) -> str:
    """The command's `error:` line: its last line and, when `alone`, its only one."""
    result = CliRunner().invoke(app, args)
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit)  # handled, not a crash CliRunner caught
    assert "Traceback" not in result.output and result.output.count("error: ") == 1
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("error: ")
    if alone:
        assert len(lines) == 1, result.output
    return lines[-1]


def _config(tmp_path: Path, text: str) -> Path:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[classifier]\nenabled = false\n\n[[watch]]\nname = "acme"\n\n{text}')
    return cfg


@pytest.mark.parametrize(("url", "said"), [
    ("notaurl", "database.url: not a database URL: 'notaurl'"),
    ("mysql://bot:pw@localhost/socialbot",
     "database.url: mysql is not supported; use a sqlite:///path or a postgresql"),
    ("sqlite:///{tmp}/a-file/var/socialbot.db",
     "database.url: cannot create the database's folder {tmp}/a-file/var: Not a directory"),
])
@pytest.mark.parametrize("command", [["status"], ["run", "--once"]])
def test_an_unusable_database_url_is_one_line_and_exit_2(
    tmp_path: Path, url: str, said: str, command: list[str]
) -> None:
    (tmp_path / "a-file").write_text("a file where the data folder should be\n")
    cfg = _config(tmp_path, f'[database]\nurl = "{url.format(tmp=tmp_path)}"\n')
    line = _error_line(["--config", str(cfg), *command], 2)
    assert said.format(tmp=tmp_path) in line


def test_a_misspelt_stage_interval_is_refused_naming_the_stages(tmp_path: Path) -> None:
    cfg = _config(tmp_path, '[daemon.intervals]\ningest = "15s"\nclasify = "1m"\n')
    line = _error_line(["--config", str(cfg), "status"], 2)
    assert "daemon.intervals: unknown stage clasify" in line
    assert "ingest, health, classify, trends" in line


@pytest.mark.parametrize("args", [
    ["--no-such-option"],
    ["report", "--since"],  # an option without its value
    ["replay"],  # a missing argument
    ["no-such-command"],
])
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_training_without_the_shared_data_folder_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "project"
    work.mkdir()
    monkeypatch.chdir(work)  # ../shared, the default data folder, is not there
    # (the progress display may have started: the data is read when training starts)
    line = _error_line(["train", "replies"], 1, alone=False)
    assert line == "error: ../shared/data/replies: no such file or folder"


@pytest.mark.parametrize("command", [["run", "--once"], ["reclassify"], ["classify", "hi"]])
def test_a_watch_classifier_folder_that_is_missing_is_one_line_and_exit_2(
    tmp_path: Path, command: list[str]
) -> None:
    (tmp_path / "models" / "parcelly").mkdir(parents=True)
    (tmp_path / "models" / "parcelly" / "classifier.json").write_text("{}")
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "bot.db"}"\n\n'
                   '[[watch]]\nname = "parcelly"\nclassifier = "models/parcelly"\n\n'
                   '[[watch]]\nname = "fruitco"\nclassifier = "models/fruitco"\n')
    line = _error_line(["--config", str(cfg), *command], 2)
    assert line == (f"error: {cfg}: watch[1].classifier (fruitco): "
                    f"{tmp_path / 'models' / 'fruitco'}: no such folder")


def test_projected_topics_with_a_model_that_has_no_projection_is_one_line_and_exit_2(
    tmp_path: Path,
) -> None:
    """A model trained before topic projections existed, under topic_encoder = "projected":
    refused at start-up with the command that fits one, not at the first batch."""
    (tmp_path / "models" / "old").mkdir(parents=True)
    (tmp_path / "models" / "old" / "classifier.json").write_text("{}")
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "bot.db"}"\n\n'
                   '[classifier]\nmodel = "models/old"\ntopic_encoder = "projected"\n')
    folder = tmp_path / "models" / "old"
    line = _error_line(["--config", str(cfg), "run", "--once"], 2)
    assert line == (f'error: {cfg}: [classifier] model: {folder}: [classifier] topic_encoder = '
                    f'"projected" needs the model\'s topic projection, and it has none: fit '
                    f"one with `socialbot train topic-projection --model {folder}`")


def test_a_saved_reply_the_guardrails_would_always_stop_refuses_run(tmp_path: Path) -> None:
    cfg = _config(tmp_path, (
        '[[watch.topic]]\nname = "delivery"\ndescription = "orders arriving late"\n\n'
        '[watch.reply]\nenabled = true\nhandles = ["acme"]\n\n'
        '[[watch.saved_reply]]\nname = "late"\ntopic = "delivery"\nintent = "complaint"\n'
        'text = "Sorry {first_name|there}, we will refund your order today."\n'))
    line = _error_line(["--config", str(cfg), "run", "--once"], 2)
    assert ("watch[0].saved_reply[0] (late) on twitter: offers or mentions a refund, which "
            "acme does not allow") in line
