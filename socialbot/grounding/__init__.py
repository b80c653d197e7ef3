"""Grounding drafts in what the brand has said before: saved replies and approved history."""
