"""One incident, one alert: every rule of a watch judged window by window, sharing alerts.

A rule that starts firing while another alert of the watch is open, on largely
the same posts (socialbot.watching.overlap), joins that alert instead of opening
its own: the alert names every rule and topic involved, and resolves once none
of them fires any more. Windows are judged in time order, every rule at one
window before any rule at the next, so which alert a rule joins does not depend
on how the windows were split into runs: a replay, a restart after a kill, and
the live daemon all give the same alerts.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from socialbot.store.types import utcnow
from socialbot.watching.alerting import RuleJudge, RuleRun
from socialbot.watching.episodes import step
from socialbot.watching.outbox import enqueue
from socialbot.watching.overlap import counted_by, counted_in, same_incident
from socialbot.watching.series import first_bucket
from socialbot.watching.spike import Evaluation
from socialbot.watching.tables import ALERTS

logger = logging.getLogger(__name__)

#: what is delivered when several things happen to one alert in one window: the first here
PRECEDENCE = ("opened", "resolved", "escalated", "updated")


def judge_watch(
    conn: Connection, judges: Sequence[RuleJudge], now: datetime, *, max_windows: int = 672
) -> int:
    """Judge every rule of one watch over its closed, unjudged windows in `conn`'s
    transaction; returns the windows judged (summed over rules)."""
    if not judges:
        return 0
    history = first_bucket(conn, judges[0].watch)
    if history is None:
        return 0
    runs = [j.begin(conn, now, history=history, max_windows=max_windows) for j in judges]
    book = Incidents(conn, runs)
    judged = [set(run.ends()) for run in runs]
    for end in sorted(set().union(*judged)):
        for run, ends in zip(runs, judged, strict=True):
            if end in ends:
                book.judge(run, end)
        book.deliver()
    for run in runs:
        run.judge.save(conn, run)
    return sum(run.windows for run in runs)


def rule_entry(run: RuleRun, ev: Evaluation, start: datetime, end: datetime) -> dict[str, Any]:
    """How one rule of an alert saw the incident (its strongest window so far)."""
    rule = run.judge.rule
    return {
        "rule": run.judge.label,
        "kind": rule.kind,
        "topic": rule.topic,
        "since": end.isoformat(),
        "window": {"start": start.isoformat(), "end": end.isoformat()},
        "observed": float(ev.observed),
        "baseline": round(float(ev.expected), 3),
        "score": ev.score,
        "overlap": None,
    }


class Incidents:
    """The alerts of one watch as its rules' verdicts change them, and what to deliver."""

    def __init__(self, conn: Connection, runs: list[RuleRun]) -> None:
        self.conn = conn
        self.runs = runs
        #: alert id -> what happened to it in the window being judged
        self.pending: dict[int, set[str]] = defaultdict(set)

    def judge(self, run: RuleRun, end: datetime) -> None:
        """Advance `run` by its verdict on the window ending at `end` and record the change."""
        ev = run.verdict(end)
        run.state, event = step(
            run.state, end, ev, cooldown=timedelta(seconds=run.judge.rule.cooldown)
        )
        start = end - timedelta(seconds=run.judge.bucket * ev.window_buckets)
        if event == "opened":
            run.alert_id = self._open(run, ev, start, end)
        elif event == "resolved":
            self._leave(run, end)
            run.alert_id = None
        elif event is not None:
            self._refresh(run, ev, start, end, escalated=event == "escalated")

    def deliver(self) -> None:
        """Queue one delivery per alert changed in this window, then forget the window.

        Rules joining an alert in the window it opens are in its "opened" message;
        joining later sends one "updated" revision, however many rules joined.
        """
        for alert_id in sorted(self.pending):
            events = self.pending[alert_id]
            event = next(e for e in PRECEDENCE if e in events)
            values: dict[str, Any] = {"updated_at": utcnow()}
            if event != "opened":
                values["revision"] = ALERTS.c.revision + 1
            self.conn.execute(update(ALERTS).where(ALERTS.c.id == alert_id).values(**values))
            judge = self.runs[0].judge
            if not judge.settings.dry_run:
                enqueue(
                    self.conn, alert_id, event, judge.channels, now=utcnow(),
                    settings=judge.settings,
                )
        self.pending.clear()

    def _open(self, run: RuleRun, ev: Evaluation, start: datetime, end: datetime) -> int:
        judge = run.judge
        found = self._same_incident(run, start, end)
        entry = rule_entry(run, ev, start, end)
        if found is not None:
            alert_id, share = found
            row = self._row(alert_id)
            detail = _with_rules(row)
            known = [r["rule"] for r in detail["rules"]]
            if judge.label not in known:
                detail["rules"].append(entry | {"overlap": round(share, 3)})
                self.pending[alert_id].add("updated")
            detail["history"].append(
                {"at": end.isoformat(), "what": f"joined: {judge.label}",
                 "overlap": round(share, 3)}
            )
            self._write(alert_id, detail)
            logger.info(
                "alert joined: %s/%s fires on the posts of alert #%d (overlap %.2f)",
                judge.watch, judge.label, alert_id, share,
            )
            return alert_id
        detail = judge.detail(self.conn, ev, start, end, baseline_end=start)
        detail |= {
            "opened_at": end.isoformat(),
            "rules": [entry],
            "history": [{"at": end.isoformat(), "what": f"opened: {judge.label}"}],
        }
        values = {
            "watch": judge.watch, "rule": judge.label, "kind": judge.rule.kind,
            "topic": judge.rule.topic, "status": "open", "started_at": start,
            "window_start": start, "window_end": end, "observed": float(ev.observed),
            "baseline": float(ev.expected), "score": ev.score, "peak": float(ev.observed),
            "detail": json.dumps(detail), "revision": 1, "created_at": utcnow(),
            "updated_at": utcnow(),
        }
        alert_id = int(
            self.conn.execute(insert(ALERTS).values(**values).returning(ALERTS.c.id)).scalar_one()
        )
        self.pending[alert_id].add("opened")
        logger.info(
            "alert opened: %s/%s %d posts in %s..%s vs baseline %.1f (p=%.1e)",
            judge.watch, judge.label, ev.observed, start.isoformat(), end.isoformat(),
            ev.expected, ev.score,
        )
        return alert_id

    def _same_incident(
        self, run: RuleRun, start: datetime, end: datetime
    ) -> tuple[int, float] | None:
        """The open alert whose rules counted most of the same posts in [start, end), if
        they are one incident by socialbot.watching.overlap (ties: the oldest alert)."""
        feeding: dict[int, list[RuleRun]] = defaultdict(list)
        for other in self.runs:
            if other is not run and other.attached is not None:
                feeding[other.attached].append(other)
        if not feeding:
            return None
        rows = counted_in(self.conn, run.judge.watch, start=start, end=end)
        rule = run.judge.rule
        mine = counted_by(rows, kind=rule.kind, topic=rule.topic)
        best: tuple[int, float] | None = None
        for alert_id in sorted(feeding):
            row = self._row(alert_id)
            opened_at = json.loads(row.detail).get("opened_at")
            if row.status != "open" or (opened_at and opened_at > end.isoformat()):
                continue  # only an alert that was open at this window's end
            theirs = frozenset().union(
                *(counted_by(rows, kind=o.judge.rule.kind, topic=o.judge.rule.topic)
                  for o in feeding[alert_id])
            )
            share = same_incident(mine, theirs, min_posts=rule.min_posts)
            if share is not None and (best is None or share > best[1]):
                best = (alert_id, share)
        return best

    def _refresh(
        self, run: RuleRun, ev: Evaluation, start: datetime, end: datetime, *, escalated: bool
    ) -> None:
        """Keep the alert showing each rule's strongest window; note an escalation."""
        assert run.alert_id is not None
        row = self._row(run.alert_id)
        detail = _with_rules(row)
        label = run.judge.label
        entry = next((r for r in detail["rules"] if r["rule"] == label), None)
        if entry is not None and ev.observed > entry["observed"]:
            entry |= {k: v for k, v in rule_entry(run, ev, start, end).items()
                      if k not in ("since", "overlap")}
        values: dict[str, Any] = {}
        if row.rule == label and ev.observed > row.observed:
            # The opening rule's strongest window is the alert's own evidence. The
            # baseline ends where the incident began, so it never explains itself.
            fresh = run.judge.detail(self.conn, ev, start, end, baseline_end=row.started_at)
            detail |= fresh
            values = {
                "window_start": start, "window_end": end, "observed": float(ev.observed),
                "baseline": float(ev.expected), "score": ev.score, "peak": float(ev.observed),
            }
        if escalated:
            detail["history"].append(
                {"at": end.isoformat(), "what": f"escalated: {label}"}
            )
            if row.rule == label:
                # Sent again only on the numbers the alert shows (the opening rule's);
                # a joined rule's growth is in its entry and the history.
                self.pending[run.alert_id].add("escalated")
        self._write(run.alert_id, detail, **values)

    def _leave(self, run: RuleRun, end: datetime) -> None:
        """`run`'s episode is over: the alert resolves unless another rule still feeds it."""
        assert run.alert_id is not None
        alert_id = run.alert_id
        still = [o for o in self.runs if o is not run and o.attached == alert_id]
        detail = _with_rules(self._row(alert_id))
        what = f"left: {run.judge.label}" if still else "resolved"
        detail["history"].append({"at": end.isoformat(), "what": what})
        if still:
            self._write(alert_id, detail)
            return
        self._write(alert_id, detail, status="resolved", resolved_at=end)
        self.pending[alert_id].add("resolved")

    def _row(self, alert_id: int) -> Any:
        return self.conn.execute(select(ALERTS).where(ALERTS.c.id == alert_id)).one()

    def _write(self, alert_id: int, detail: dict[str, Any], **values: Any) -> None:
        self.conn.execute(
            update(ALERTS)
            .where(ALERTS.c.id == alert_id)
            .values(detail=json.dumps(detail), updated_at=utcnow(), **values)
        )


def _with_rules(row: Any) -> dict[str, Any]:
    """The alert's detail, with the rules and history an alert from before merging lacks."""
    detail: dict[str, Any] = json.loads(row.detail)
    detail.setdefault(
        "rules", [{"rule": row.rule, "kind": row.kind, "topic": row.topic, "overlap": None}]
    )
    detail.setdefault("history", [])
    return detail
