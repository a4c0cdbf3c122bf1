"""The daily digest's and the weekly report's own sections — coverage, findings, keys — read
through the areas' query functions, and the digest's headline line. The registry they (and
other areas' sections: renovation's Saturday report) join is webapp/digest_registry.py.
Section builds run in the job that makes the digest; ``tables`` runs where a request context
gives ``url_for`` (a page, or ``messages.sending`` in a job).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from webapp import i18n, vocab
from webapp.digest_registry import Table, section
from webapp.keys import queries as keys
from webapp.review import dashboard, tables
from webapp.review.queries import rows_for
from webapp.rounds import presence, rules, service

OLDEST = 5  # overdue findings and keys listed by name; the rest are counted
MISSED_LISTED = 8  # missed checkpoints named per round


def summary(data: dict) -> str:
    """One line of the digest's headline numbers, over all its estates."""
    due = done = missed = open_ = overdue = out = late = 0
    for estate in data.get("estates", []):
        sections = estate["sections"]
        coverage = sections.get("coverage", {})
        # The daily digest's lines are rounds (their "due"); the weekly report's are days.
        for line in coverage.get("days", coverage.get("rounds", [])):
            due += line.get("due", line.get("expected", 0))
            done += line[rules.DONE] + line[rules.LATE]
            missed += line[rules.MISSED]
        findings = sections.get("findings", {})
        open_ += sum(findings.get("severity", {}).values())
        overdue += findings.get("overdue", 0)
        held = sections.get("keys", {})
        out, late = out + held.get("out", 0), late + held.get("overdue", 0)
    parts = []
    if due:
        parts.append(
            _("Coverage %(done)d of %(due)d (%(missed)d missed)", done=done, due=due, missed=missed)
        )
    parts.append(
        ngettext("%(num)d open finding (%(late)d overdue)",
                 "%(num)d open findings (%(late)d overdue)", open_, late=overdue)
    )  # fmt: skip
    parts.append(
        ngettext("%(num)d key out (%(late)d overdue)", "%(num)d keys out (%(late)d overdue)",
                 out, late=late)
    )  # fmt: skip
    return " · ".join(parts)


def _when(iso: str | None, tz: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(tz)).strftime(fmt)


def _pct(value: int | None) -> str:
    return "—" if value is None else f"{value}%"


# ---- coverage ---------------------------------------------------------------------------------


def _rounds_scanned(session, estate, lo, hi) -> dict[str, presence.Share]:
    _people, by_round = presence.shares(session, estate, lo, hi)
    return {share.key: share for share in by_round if share.key is not None}


@section("daily", name="coverage")
class DayCoverage:
    """Yesterday's windows per round: due, done, late, missed (the first few named), no
    access, and the share of checks scanned (``rounds.service.coverage``,
    ``rounds.presence.shares``)."""

    @staticmethod
    def build(session, user, estate, period):
        day = period.last
        scanned = _rounds_scanned(session, estate, *period.bounds(ZoneInfo(estate.timezone)))
        rounds: dict[int, dict] = {}
        for window in service.coverage(session, estate, day, period.now):
            template = window.template
            line = rounds.setdefault(
                template.id,
                {"round": template.name, "kind": template.kind, "windows": 0, "due": 0}
                | {status: 0 for status in rules.STATUSES}
                | {"missed_points": []},
            )
            line["windows"] += 1
            line["due"] += len(window.points)
            for status in rules.STATUSES:
                line[status] += window.count(status)
            for point in window.points:
                label = point.label or f"{point.item_type} {point.item_id}"
                named = line["missed_points"]
                missed = point.status == rules.MISSED and label not in named
                if missed and len(named) < MISSED_LISTED:
                    named.append(label)
        for template_id, line in rounds.items():
            share = scanned.get(str(template_id))
            line["checks"] = share.total if share else 0
            line["scanned"] = share.scan if share else 0
        return {"date": day.isoformat(), "rounds": list(rounds.values())}

    @staticmethod
    def tables(numbers):
        day = numbers["date"]
        link = url_for("rounds.coverage_page", estate=numbers["estate_id"], date=day)
        rows, marked, notes = [], [], []
        for r in numbers["rounds"]:
            name = r["round"] or i18n.term("round_kind", r["kind"])
            pct = presence.scanned_pct(r["scanned"], r["checks"])
            rows.append(
                [name, r["windows"], r["due"], r[rules.DONE], r[rules.LATE], r[rules.MISSED],
                 r[rules.NO_ACCESS], _pct(pct)]
            )  # fmt: skip
            marked.append(r[rules.MISSED] > 0)
            if r["missed_points"]:
                more = r[rules.MISSED] - len(r["missed_points"])
                listed = "、".join(r["missed_points"]) + (f" (+{more})" if more > 0 else "")
                notes.append(_("%(round)s missed: %(points)s", round=name, points=listed))
        return [
            Table(
                "coverage",
                _("Round coverage, %(day)s", day=day),
                [_("Round"), _("Windows"), _("Checkpoints due"), _("Done"), _("Late"),
                 _("Missed"), _("No access"), _("Scanned")],
                rows, [link] * len(rows), marked, "\n".join(notes),
                empty=_("No round windows that day."), bad_column=5,
            )
        ]  # fmt: skip


@section("weekly", name="coverage")
class WeekCoverage:
    """The week's windows per day (``rounds.service.trend``) and each round's share of checks
    scanned over the week."""

    @staticmethod
    def build(session, user, estate, period):
        days = service.trend(session, estate, period.last, len(period.days), period.now)
        scanned = _rounds_scanned(session, estate, *period.bounds(ZoneInfo(estate.timezone)))
        rounds = [
            {"round": share.name, "checks": share.total, "scanned": share.scan}
            for share in scanned.values()
        ]
        return {"days": days, "rounds": rounds, "last": period.last.isoformat()}

    @staticmethod
    def tables(numbers):
        estate_id = numbers["estate_id"]
        link = url_for("rounds.coverage_page", estate=estate_id, date=numbers["last"], view="week")
        rows = [
            [d["date"], d["expected"], d[rules.DONE], d[rules.LATE], d[rules.MISSED],
             d[rules.NO_ACCESS]]
            for d in numbers["days"]
        ]  # fmt: skip
        shares = [
            [r["round"] or "—", r["checks"], r["scanned"],
             _pct(presence.scanned_pct(r["scanned"], r["checks"]))]
            for r in numbers["rounds"]
        ]  # fmt: skip
        return [
            Table(
                "coverage",
                _("Round coverage per day"),
                [_("Day"), _("Checkpoints due"), _("Done"), _("Late"), _("Missed"),
                 _("No access")],
                rows, [link] * len(rows), [row[4] > 0 for row in rows],
                empty=_("No round windows that week."), bad_column=4,
            ),
            Table(
                "scanned", _("Share of checks scanned, per round"),
                [_("Round"), _("Checks"), _("Scanned"), _("Share")], shares,
                empty=_("No checks that week."),
            ),
        ]  # fmt: skip


# ---- findings ---------------------------------------------------------------------------------


@section("daily", "weekly", name="findings")
class Findings:
    """Open findings by severity and how many are overdue (``review.tables.open_counts``),
    the oldest overdue named (``review.dashboard.most_overdue``); in the weekly report also
    how many were reported and closed in the week (``review.dashboard.findings_flow``)."""

    @staticmethod
    def build(session, user, estate, period):
        now = period.now
        counts = tables.open_counts(tables.Params(user=user, ids=[estate.id], estate=estate.id,
                                                  now=now))  # fmt: skip
        oldest = rows_for(dashboard.most_overdue([estate.id], now, OLDEST), now)
        out = {
            "severity": counts["severity"],
            "overdue": counts["overdue"]["overdue"],
            "oldest": [
                {"id": row.finding.id, "place": row.place, "category": row.finding.category,
                 "severity": row.finding.severity,
                 "due_at": row.due_at.isoformat() if row.due_at else None}
                for row in oldest
            ],
        }  # fmt: skip
        if period.kind == "weekly":
            lo, hi = period.bounds(ZoneInfo(estate.timezone))
            out["flow"] = dashboard.findings_flow([estate.id], lo, hi)[estate.id]
        return out

    @staticmethod
    def tables(numbers):
        estate_id, tz = numbers["estate_id"], numbers["tz"]
        found = []
        if "flow" in numbers:
            flow = numbers["flow"]
            found.append(
                Table("flow", _("Findings this week"),
                      [_("Reported"), _("Closed"), _("Open now"), _("Overdue now")],
                      [[flow["opened"], flow["closed"], sum(numbers["severity"].values()),
                        numbers["overdue"]]],
                      [url_for("review.findings", estate=estate_id)])
            )  # fmt: skip
        rows, links = [], []
        for severity, n in numbers["severity"].items():
            rows.append([i18n.term("severity", severity), n])
            links.append(url_for("review.findings", estate=estate_id, severity=severity))
        rows.append([_("Overdue"), numbers["overdue"]])
        links.append(url_for("review.findings", estate=estate_id, overdue=1))
        marked = [False] * (len(rows) - 1) + [numbers["overdue"] > 0]
        heads = [_("Severity"), _("Still open")]
        found.append(Table("open", _("Open findings"), heads, rows, links, marked))
        late = numbers["oldest"]
        found.append(
            Table(
                "overdue", _("Overdue findings, oldest first"),
                [_("Where"), _("Category"), _("Severity"), _("Due")],
                [[f["place"] or "—", i18n.term("finding_category", f["category"]),
                  i18n.term("severity", f["severity"]),
                  _when(f["due_at"], tz)] for f in late],
                [url_for("review.finding", finding_id=f["id"]) for f in late],
                [True] * len(late),
                note=_("%(more)d more overdue.", more=numbers["overdue"] - len(late))
                if numbers["overdue"] > len(late) else "",
                empty=_("No finding is overdue."),
            )
        )  # fmt: skip
        return found


# ---- keys -------------------------------------------------------------------------------------


@section("daily", "weekly", name="keys")
class Keys:
    """Keys out, overdue and disputed (``keys.queries.counts``), the longest overdue with
    their holders (``keys.queries.most_overdue``); in the weekly report the week's lends."""

    @staticmethod
    def build(session, user, estate, period):
        counts = keys.counts(user, estate.id, period.now)
        out = {
            "out": counts["out"],
            "overdue": counts["overdue"],
            "disputed": counts["disputed"],
            "oldest": [
                {"label": row.key.label, "holder": row.key.holder_name or "",
                 "due_back": row.key.due_back.isoformat() if row.key.due_back else None}
                for row in keys.most_overdue(user, estate.id, period.now, OLDEST)
            ],
        }  # fmt: skip
        if period.kind == "weekly":
            lo, hi = period.bounds(ZoneInfo(estate.timezone))
            out["lent"] = keys.lends_between(user, estate.id, lo, hi)
        return out

    @staticmethod
    def tables(numbers):
        estate_id, tz = numbers["estate_id"], numbers["tz"]
        heads = [_("Out"), _("Overdue"), _("Disputed")]
        row = [numbers["out"], numbers["overdue"], numbers["disputed"]]
        if "lent" in numbers:
            heads, row = [_("Lent this week"), *heads], [numbers["lent"], *row]
        late = numbers["oldest"]
        overdue_link = url_for("keys.register", estate=estate_id, status="overdue")
        return [
            Table("keys", _("Keys"), heads, [row], [url_for("keys.register", estate=estate_id)],
                  [numbers["overdue"] > 0], bad_column=heads.index(_("Overdue"))),
            Table(
                "keys_overdue", _("Keys overdue"), [_("Key"), _("Held by"), _("Due back")],
                [[k["label"], k["holder"] or "—", _when(k["due_back"], tz)] for k in late],
                [overdue_link] * len(late), [True] * len(late),
                note=_("%(more)d more overdue.", more=numbers["overdue"] - len(late))
                if numbers["overdue"] > len(late) else "",
                empty=_("No key is overdue."),
            ),
        ]  # fmt: skip


def kind_names(kind: str) -> tuple[str, str]:
    """The digest's name in both languages (the printed form's title)."""
    return vocab.ALERT_KINDS[f"digest_{kind}"]
