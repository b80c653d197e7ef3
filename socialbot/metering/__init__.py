"""Metering: what each source reads and posts (what X bills), its cost, and read budgets."""
