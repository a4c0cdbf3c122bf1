"""What phones pull of a round (change type ``round``): its windows, its checkpoints' rule,
and every version of its checklist, so answers made offline on an old version stay readable."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from webapp.models import LabelCode
from webapp.models.rounds import ChecklistVersion, RoundTemplate


def load_rounds(session, ids) -> dict[int, dict]:
    """Pull loader: active round templates by id (inactive ones are tombstones)."""
    templates = [
        t
        for t in session.scalars(sa.select(RoundTemplate).where(RoundTemplate.id.in_(list(ids))))
        if t.active
    ]
    if not templates:
        return {}
    versions: dict[int, dict[str, list]] = defaultdict(dict)
    for tid, version, items in session.execute(
        sa.select(ChecklistVersion.template_id, ChecklistVersion.version, ChecklistVersion.items)
        .where(ChecklistVersion.template_id.in_([t.id for t in templates]))
        .order_by(ChecklistVersion.version)
    ):
        versions[tid][str(version)] = items
    wanted = {(k, i) for t in templates for k, i in (t.items or [])}
    codes = {}
    if wanted:
        for kind, item_id, code in session.execute(
            sa.select(LabelCode.item_type, LabelCode.item_id, LabelCode.code).where(
                LabelCode.active,
                LabelCode.item_id.in_([i for _k, i in wanted]),
            )
        ):
            codes[(kind, item_id)] = code
    return {
        t.id: {
            "estate_id": t.estate_id,
            "kind": t.kind,
            "name": t.name,
            "slots": t.slots,
            "period_days": t.period_days,
            "anchor": t.anchor.isoformat(),
            "items": [codes[(k, i)] for k, i in (t.items or []) if (k, i) in codes],
            "checklist_version": t.checklist_version,
            "checklists": versions.get(t.id, {}),
        }
        for t in templates
    }
