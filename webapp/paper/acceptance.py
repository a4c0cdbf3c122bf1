"""《裝修審批及竣工驗收表》 Completion acceptance (issue 20, item 4): one A4 page per acceptance —
the estate's header, the unit, owner, contractor and permit with its approved period and
scope, the checklist of its version with each answer (a failed item in the alarm colour),
engineering's name, the result and what followed (the deposit refunded, or the notice that
lists the failed items), the photos, and the signatures of owner, contractor and management
office, each drawn on the phone above its line (or a blank line to sign on paper)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sync.blobs import BlobStore, Ref
from sync.photos import photo_key, shown_links
from webapp import vocab
from webapp.models import Estate, shown_names
from webapp.models.renovation import Acceptance, AcceptanceSignature, RectificationNotice
from webapp.paper.notice import held_blobs
from webapp.paper.pdf import FONT, INK, MUTED, Cell, Column, Paper, Thumb, _thumbnail

TITLE = ("裝修審批及竣工驗收表", "Renovation approval and completion acceptance")
ITEMS = [
    Column("驗收項目", "Item", 6),
    Column("結果", "Answer", 1.6, "CENTER"),
]
ANSWERS = {"yes": "合格 Yes", "no": "不合格 No", "na": "不適用 N/A"}
ROLES = tuple(vocab.SIGNER_ROLES)


def render(session: Session, acceptance: Acceptance, store: BlobStore, printed: datetime) -> bytes:
    """The acceptance as an A4 PDF with real text and the drawn signatures."""
    estate = session.get(Estate, acceptance.estate_id)
    zone = ZoneInfo(estate.timezone or "UTC")
    permit = acceptance.permit
    photos = [sha for _id, sha in shown_links(session, "acceptance", [acceptance.id])]
    signatures: dict[str, AcceptanceSignature] = {}
    for s in session.scalars(
        sa.select(AcceptanceSignature)
        .where(AcceptanceSignature.acceptance_id == acceptance.id)
        .order_by(AcceptanceSignature.occurred_at.desc())
    ):
        signatures[s.role] = s  # the latest of each role
    held = held_blobs(session, [*photos, *(s.signature_sha256 for s in signatures.values())])
    by = shown_names(session, [acceptance.user_id]).get(acceptance.user_id, "")

    paper = Paper(estate=estate.name, title_zh=TITLE[0], title_en=TITLE[1], printed=printed)
    paper.add_page()
    contractor = (
        " ".join(filter(None, (permit.contractor, permit.contractor_phone))) if permit else ""
    )
    period = f"{permit.starts_on} – {permit.ends_on or '—'}" if permit else "無有效許可 None active"
    paper.facts(
        [
            ("房屋", "Unit", acceptance.unit.label),
            ("裝修許可證號", "Permit", permit.number if permit else "—"),
            (
                "業主",
                "Owner",
                " ".join(filter(None, (permit.owner_name, permit.owner_phone))) if permit else "",
            ),  # fmt: skip
            ("施工單位", "Contractor", contractor),
            ("核准期間", "Approved", period),
            ("驗收時間", "Inspected", f"{acceptance.occurred_at.astimezone(zone):%Y-%m-%d %H:%M}"),
            ("工程部", "Engineering", acceptance.engineer),
            ("管理處", "Office", by),
        ]
    )
    if permit and permit.scope:
        paper.heading("核准裝修範圍", "Approved scope")
        paper.note(permit.scope)
    paper.heading("驗收項目", f"Checklist (version {acceptance.checklist_version})")
    rows = []
    for item in vocab.ACCEPTANCE_CHECKLISTS[acceptance.checklist_version]:
        answer = acceptance.answers.get(item["key"], "")
        rows.append(
            [f"{item['zh']}\n{item['en']}", Cell(ANSWERS.get(answer, "—"), bad=answer == "no")]
        )
    paper.table(ITEMS, rows, font_size=9.5)
    if acceptance.note:
        paper.heading("備註", "Notes")
        paper.note(acceptance.note)
    paper.heading("驗收結論", "Result")
    paper.set_font(FONT, "B", 11)
    paper.cell(0, 7, f"{vocab.zh('acceptance_result', acceptance.result)} "
               f"{vocab.en('acceptance_result', acceptance.result)}")  # fmt: skip
    paper.ln(8)
    paper.note(_outcome(session, acceptance))
    if photos:
        paper.heading("現場照片", "Photos")
        paper.thumbs(
            [
                Thumb(Ref(store, photo_key(sha)) if sha in held else None, f"{i}")
                for i, sha in enumerate(photos, 1)
            ]
        )
    _sign_lines(paper, signatures, held, store, zone)
    return paper.output_bytes()


def _outcome(session: Session, acceptance: Acceptance) -> str:
    if acceptance.result == "passed":
        return (
            f"押金退還 {acceptance.refunded}，裝修許可結案，房屋恢復原狀態。"
            f" Deposit refunded: {acceptance.refunded}; permit closed; the unit is back to "
            "its status."
        )
    notice = session.get(RectificationNotice, acceptance.notice_id or "")
    number = notice.number if notice else "—"
    deadline = notice.deadline.isoformat() if notice else "—"
    return (
        f"不合格項目已開具《裝修違規整改通知單》{number}，整改期限 {deadline}。"
        f" The failed items are listed on rectification notice {number}, due {deadline}."
    )


def _sign_lines(paper: Paper, signatures: dict, held: set, store: BlobStore, zone) -> None:
    """Owner, contractor, office side by side: the drawn signature above each line."""
    if paper.will_page_break(34):
        paper.add_page()
    paper.ln(4)
    width = (paper.w - paper.l_margin - paper.r_margin) / len(ROLES)
    y = paper.get_y()
    paper.set_draw_color(*INK)
    paper.set_line_width(0.3)
    for i, role in enumerate(ROLES):
        zh, en = vocab.SIGNER_ROLES[role]
        x = paper.l_margin + i * width
        paper.set_xy(x, y)
        paper.set_font(FONT, "B", 9)
        paper.cell(width - 6, 5, f"{zh}簽名 {en} signature")
        signed = signatures.get(role)
        image = None
        if signed is not None and signed.signature_sha256 in held:
            image = _thumbnail(Ref(store, photo_key(signed.signature_sha256)))
        if image is not None:
            w, h = image.size
            height = 16.0
            paper.image(image, x, y + 6, min(width - 10, w * height / h), height)
        paper.line(x, y + 23, x + width - 8, y + 23)
        paper.set_xy(x, y + 24)
        paper.set_font(FONT, "", 7.5)
        paper.set_text_color(*MUTED)
        when = f"{signed.occurred_at.astimezone(zone):%Y-%m-%d %H:%M}" if signed else ""
        name = signed.signer_name if signed else ""
        paper.cell(width - 6, 4, f"{name} 日期 Date：{when}")
        paper.set_text_color(*INK)
    paper.set_xy(paper.l_margin, y + 30)
