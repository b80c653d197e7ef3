"""`python -m socialbot` is the same as the `socialbot` command."""

from socialbot.cli import main

main()
