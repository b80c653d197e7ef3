"""The flow's stages, in DESIGN.md order. Stages not built yet are simply absent."""

from __future__ import annotations

import importlib

from socialbot.stages.base import Stage, StageContext

#: "module:function" builders in flow order; each returns the stages it configures
STAGE_BUILDERS: tuple[str, ...] = (
    "socialbot.stages.ingest:build_ingest_stages",
    "socialbot.stages.health:build_health_stages",
    "socialbot.stages.classify:build_classify_stages",
    "socialbot.stages.trends:build_trends_stages",
    "socialbot.stages.alerts:build_alerts_stages",
    "socialbot.stages.deliver:build_deliver_stages",
    "socialbot.stages.draft:build_draft_stages",
    "socialbot.stages.post:build_post_stages",
    "socialbot.stages.privacy:build_privacy_stages",
)


def build_stages(
    ctx: StageContext,
    *,
    only: set[str] | None = None,
    exclude: frozenset[str] | set[str] = frozenset(),
) -> list[Stage]:
    """Every configured stage, optionally only those whose kind is in `only`.

    Builder modules are named after the stage kind they build, so unwanted kinds
    are skipped without constructing (or importing) anything.
    """
    stages: list[Stage] = []
    for target in STAGE_BUILDERS:
        module_name, _, func_name = target.partition(":")
        kind = module_name.rsplit(".", 1)[-1]
        if kind in exclude or (only is not None and kind not in only):
            continue
        builder = getattr(importlib.import_module(module_name), func_name)
        stages.extend(s for s in builder(ctx) if only is None or s.kind in only)
    return stages


def stage_kinds() -> list[str]:
    """The stage kinds this build knows, for `--only` help and validation."""
    kinds = []
    for target in STAGE_BUILDERS:
        module_name = target.partition(":")[0]
        kinds.append(module_name.rsplit(".", 1)[-1])
    return kinds


__all__ = ["Stage", "StageContext", "build_stages", "stage_kinds"]
