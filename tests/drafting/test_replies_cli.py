"""`train replies` joins an existing `train` group or creates one, and validates its options."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from socialbot.cli import replies_cmd


def fresh_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Test root."""

    return app


def test_creates_the_train_group_when_alone() -> None:
    app = fresh_app()
    replies_cmd.register(app)
    result = CliRunner().invoke(app, ["train", "replies", "--help"])
    assert result.exit_code == 0
    assert "LoRA" in result.output


def test_joins_a_train_group_another_module_registered() -> None:
    app = fresh_app()
    other = typer.Typer(help="Train the models socialbot ships.")

    @other.command("sentiment")
    def sentiment() -> None:
        """Train sentiment."""

    app.add_typer(other, name="train")
    replies_cmd.register(app)
    assert [g.name for g in app.registered_groups] == ["train"]
    result = CliRunner().invoke(app, ["train", "--help"])
    assert "sentiment" in result.output and "replies" in result.output


def test_bad_arguments_exit_2_before_loading_anything() -> None:
    app = fresh_app()
    replies_cmd.register(app)
    result = CliRunner().invoke(app, ["train", "replies", "--epochs", "0"])
    assert result.exit_code == 2
    assert "epochs must be > 0" in result.output
