"""《停工通知》 Stop-work notice (issue 20, item 3): one A4 page for a rectification notice found
not rectified at its re-inspection — the estate's header, the notice's number it follows from,
the unit, owner, contractor and permit, the order to stop all work until a re-inspection finds
the violations put right, the violations, the re-inspection that failed (when, by whom, what
was seen, its photos), whether it has since been lifted, and the signature lines."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from sync.blobs import BlobStore, Ref
from sync.photos import photo_key, shown_links
from webapp.models import Estate, shown_names
from webapp.models.renovation import Reinspection, StopWork
from webapp.paper.notice import SIGNERS, held_blobs, rules_table
from webapp.paper.pdf import Paper, Thumb

TITLE = ("停工通知", "Stop-work notice")
BODY = (
    "貴戶《裝修違規整改通知單》（編號{number}）所列違規事項，經本管理處於{when_zh}覆查，"
    "未於整改期限{deadline}前完成整改。依管理規約及裝修管理規定，自即日起責令停止一切裝修施工；"
    "整改完成後請通知管理處覆查，經覆查合格方可恢復施工。"
)
BODY_EN = (
    "The violations of rectification notice {number} were found not put right by the deadline "
    "{deadline} at our re-inspection on {when}. Under the estate's rules all renovation work "
    "stops now; tell the management office once they are put right, and work may resume "
    "after a re-inspection finds them so."
)


def render(session: Session, stop: StopWork, store: BlobStore, printed: datetime) -> bytes:
    """The stop-work notice as an A4 PDF with real text."""
    notice = stop.notice
    estate = session.get(Estate, stop.estate_id)
    zone = ZoneInfo(estate.timezone or "UTC")
    permit = stop.permit
    failed = session.get(Reinspection, stop.reinspection_id)
    photos = [sha for _id, sha in shown_links(session, "reinspection", [stop.reinspection_id])]
    held = held_blobs(session, photos)
    by = shown_names(session, [stop.user_id]).get(stop.user_id, "")
    when = f"{stop.issued_at.astimezone(zone):%Y-%m-%d %H:%M}"

    paper = Paper(estate=estate.name, title_zh=TITLE[0], title_en=TITLE[1], printed=printed)
    paper.add_page()
    contractor = (
        " ".join(filter(None, (permit.contractor, permit.contractor_phone))) if permit else ""
    )
    number = notice.number + ("（列為再次違規 Repeat）" if notice.repeat else "")
    paper.facts(
        [
            ("編號", "No.", f"停字 {stop.number}"),
            ("整改通知單", "Notice", number),
            ("房屋", "Unit", stop.unit.label),
            ("業主", "Owner", permit.owner_name if permit else ""),
            ("施工單位", "Contractor", contractor),
            ("裝修許可證號", "Permit", permit.number if permit else "無有效許可 None active"),
            ("覆查時間", "Re-inspected", when),
            ("覆查人", "Re-inspected by", by),
        ]
    )
    values = {
        "number": notice.number,
        "when": when,
        # No space in the Chinese lines: the paragraph wraps at spaces and would gape there.
        "when_zh": f"{stop.issued_at.astimezone(zone):%Y年%m月%d日%H時%M分}",
        "deadline": notice.deadline.isoformat(),
    }
    paper.note(f"{BODY.format(**values)}\n{BODY_EN.format(**values)}")
    paper.heading("未整改違規情形", "Violations not put right")
    rules_table(paper, notice.rules)
    if failed is not None and failed.note:
        paper.heading("覆查情況", "What the re-inspection saw")
        paper.note(failed.note)
    if photos:
        paper.heading("覆查照片", "Photos")
        paper.thumbs(
            [
                Thumb(Ref(store, photo_key(sha)) if sha in held else None, f"{i}")
                for i, sha in enumerate(photos, 1)
            ]
        )
    if stop.lifted_at is not None:
        lifted = f"{stop.lifted_at.astimezone(zone):%Y-%m-%d %H:%M}"
        paper.heading("復工", "Lifted")
        paper.note(f"經覆查已整改，准予復工 Re-inspected and put right, work may resume: {lifted}")
    paper.signatures(SIGNERS)
    return paper.output_bytes()
