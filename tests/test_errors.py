"""One exception tree, one line and a documented exit code at the command line; model
paths in config checked at start-up of run, classify and queue."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import socialbot.errors
from socialbot.cli import app
from socialbot.errors import SocialbotError


def _tree_names() -> list[str]:
    """The class names drawn in socialbot.errors' docstring."""
    doc = socialbot.errors.__doc__ or ""
    return re.findall(r"[├└]── (\w+)", doc)


def _defined(name: str) -> type:
    import connectors.base
    import models.datasets
    import socialbot.drafting.drafter
    import socialbot.labels.retrain
    import socialbot.moderation.queue
    import socialbot.privacy.forget
    import socialbot.privacy.references
    import socialbot.store.ingest
    import socialbot.store.labels
    import socialbot.store.web_users
    import socialbot.watching.bucket_width
    import socialbot.watching.channels

    for module in (socialbot.errors, connectors.base, models.datasets, socialbot.drafting.drafter,
                   socialbot.moderation.queue, socialbot.store.ingest,
                   socialbot.watching.bucket_width, socialbot.watching.channels,
                   socialbot.store.labels, socialbot.labels.retrain, socialbot.store.web_users,
                   socialbot.privacy.forget, socialbot.privacy.references):
        if hasattr(module, name):
            cls = getattr(module, name)
            assert isinstance(cls, type)
            return cls
    raise AssertionError(f"{name} is drawn in the tree but defined nowhere")


def test_every_error_drawn_in_the_tree_is_a_socialbot_error() -> None:
    names = _tree_names()
    assert {"ConnectorError", "QueueError", "GeneratorError", "ArtefactError",
            "DataFormatError", "ConfigError"} <= set(names)
    for name in names:
        assert issubclass(_defined(name), SocialbotError), name


def test_the_errors_stay_importable_where_callers_import_them() -> None:
    from connectors.base import ConnectorError
    from models.artefact import ArtefactError
    from models.datasets import DataFormatError
    from models.generator import GeneratorError
    from socialbot.moderation.queue import QueueError

    for cls in (ConnectorError, ArtefactError, DataFormatError, GeneratorError, QueueError):
        assert cls is getattr(socialbot.errors, cls.__name__)
    # older `except ValueError` callers still catch these
    assert issubclass(ArtefactError, ValueError) and issubclass(DataFormatError, ValueError)


def _config(tmp_path: Path, extra: str = "") -> Path:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "x.db"}"\n'
                   '[[watch]]\nname = "acme"\n' + extra)
    return cfg


def _one_error_line(output: str) -> str:
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize(("section", "command"), [
    ('[drafting]\nmodel = "no-such-model"\n', ["run", "--once"]),
    ('[drafting]\nmodel = "no-such.gguf"\n', ["run", "--once"]),
    ('[drafting]\nadapter = "no-such-adapter"\n', ["run", "--once"]),
    ('[classifier]\nmodel = "no-such-model"\n', ["run", "--once"]),
    ('[drafting]\nadapter = "no-such-adapter"\n', ["queue"]),
    ('[classifier]\nmodel = "no-such-model"\n', ["classify", "hello"]),
])
def test_a_wrong_model_path_refuses_at_start_naming_the_key(
        tmp_path: Path, section: str, command: list[str]) -> None:
    cfg = _config(tmp_path, section)
    result = CliRunner().invoke(app, ["--config", str(cfg), *command])
    assert result.exit_code == 2, result.output
    line = _one_error_line(result.output)
    table, key = section.split("\n")[0], section.split("\n")[1].split(" = ")[0]
    assert f"{table} {key}" in line
    assert str(tmp_path / "no-such") in line
    assert not (tmp_path / "x.db").exists()  # before any work: not even the database


def test_a_folder_that_holds_no_model_is_named_too(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    cfg = _config(tmp_path, '[drafting]\nmodel = "empty"\n')
    result = CliRunner().invoke(app, ["--config", str(cfg), "run", "--once"])
    assert result.exit_code == 2
    assert "[drafting] model" in _one_error_line(result.output)
    assert "no config.json" in result.output


def test_run_only_some_stages_checks_only_the_models_they_load(tmp_path: Path) -> None:
    cfg = _config(tmp_path, '[drafting]\nmodel = "no-such-model"\n')
    result = CliRunner().invoke(app, ["--config", str(cfg), "run", "--once", "--only", "trends"])
    assert "[drafting] model" not in result.output
    assert result.exit_code == 0, result.output


def test_an_error_raised_deep_in_a_command_is_one_line_and_its_exit_code(
        tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    result = CliRunner().invoke(app, ["--config", str(cfg), "trends", "--watch", "nosuch"])
    assert result.exit_code == 2
    assert "no watch named 'nosuch'" in _one_error_line(result.output)


@pytest.mark.parametrize("target", ["no-such-file.jsonl", "."])
def test_replaying_what_is_not_a_file_is_one_line_and_leaves_no_source_behind(
        tmp_path: Path, target: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = _config(tmp_path)
    result = CliRunner().invoke(app, ["--config", str(cfg), "replay", target])
    assert result.exit_code == 1
    assert target in _one_error_line(result.output)
    status = CliRunner().invoke(app, ["--config", str(cfg), "status", "--json"])
    assert "replay:" not in status.output  # no source left backing off for good


@pytest.mark.parametrize("drafting", ["", '[drafting]\nmodel = "gemma3-270m"\n'])
def test_gemma_without_its_packages_says_how_to_install_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, drafting: str) -> None:
    """The default generator, Gemma 3 270M, is a packaged base, not a path: without its
    packages (a broken install) the start-up check says what to do, before any work."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name.startswith("gemma3_270m") else real(name, *a))
    cfg = _config(tmp_path, drafting)
    result = CliRunner().invoke(app, ["--config", str(cfg), "run", "--once"])
    assert result.exit_code == 2, result.output
    line = _one_error_line(result.output)
    assert "[drafting] model" in line and "gemma3-270m" in line and "smollm2-135m" in line
    assert not (tmp_path / "x.db").exists()
