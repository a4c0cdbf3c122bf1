"""《裝修違規整改通知單》 Rectification notice for a renovation violation (issue 20): one A4 page
per notice — the estate's header, the number the server gave it, the unit, owner and
contractor from its permit, the rules broken in the rulebook's words (the three major
violations marked), what was seen, the deadline, the photos, how it was delivered, and the
signature lines of owner, contractor and office (the owner's drawn signature above its line
when the phone captured one)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sync.blobs import BlobStore, Ref
from sync.photos import photo_key, shown_links
from webapp import vocab
from webapp.models import Estate, shown_names
from webapp.models.renovation import Acceptance, NoticeAction, RectificationNotice
from webapp.models.sync import PhotoBlob
from webapp.paper.pdf import Cell, Column, Paper, Thumb, _thumbnail

TITLE = ("裝修違規整改通知單", "Rectification notice for a renovation violation")
SIGNERS = (("業主", "Owner"), ("施工單位", "Contractor"), ("管理處", "Management office"))
BODY = (
    "經本管理處裝修巡檢，貴戶裝修有下列違規情形。請於整改期限前完成整改，並通知管理處覆查；"
    "逾期未整改者，管理處將依管理規約及裝修管理規定處理。"
)
BODY_EN = (
    "Our renovation patrol found the violations below. Put them right by the deadline and tell "
    "the management office, which will inspect again; past the deadline the office acts under "
    "the estate's rules."
)
RULES = [
    Column("違規項目", "Rule broken", 5),
    Column("類別", "Kind", 2, "CENTER"),
]


def rules_table(paper: Paper, rules: Sequence[str]) -> None:
    """The rules broken in the rulebook's words, the three major violations marked."""
    paper.table(
        RULES,
        [
            [
                f"{vocab.zh('renovation_rule', r)}\n{vocab.en('renovation_rule', r)}",
                Cell("重大違規 Major", bad=True) if r in vocab.RENOVATION_MAJOR else "一般 Other",
            ]
            for r in rules
        ],
        font_size=9.5,
    )


def held_blobs(session: Session, shas: Sequence[str]) -> set[str]:
    if not shas:
        return set()
    return set(session.scalars(sa.select(PhotoBlob.sha256).where(PhotoBlob.sha256.in_(shas))))


def render(
    session: Session, notice: RectificationNotice, store: BlobStore, printed: datetime
) -> bytes:
    """The notice as an A4 PDF with real text."""
    estate = session.get(Estate, notice.estate_id)
    zone = ZoneInfo(estate.timezone or "UTC")
    permit = notice.permit
    photos = [sha for _id, sha in shown_links(session, "notice", [notice.id])]
    actions = list(
        session.scalars(
            sa.select(NoticeAction)
            .where(NoticeAction.notice_id == notice.id)
            .order_by(NoticeAction.occurred_at)
        )
    )
    delivery = next((a for a in actions if a.kind == "delivery"), None)
    signature = next(
        (a for a in actions if a.kind == "signature" and a.signer_role == "owner"), None
    )
    held = held_blobs(session, [*photos, *([signature.signature_sha256] if signature else [])])
    by = shown_names(session, [notice.user_id]).get(notice.user_id, "")

    paper = Paper(estate=estate.name, title_zh=TITLE[0], title_en=TITLE[1], printed=printed)
    paper.add_page()
    contractor = (
        " ".join(filter(None, (permit.contractor, permit.contractor_phone))) if permit else ""
    )
    paper.facts(
        [
            ("編號", "No.", notice.number + ("（列為再次違規 Repeat）" if notice.repeat else "")),
            ("房屋", "Unit", notice.unit.label),
            ("業主", "Owner", permit.owner_name if permit else ""),
            ("施工單位", "Contractor", contractor),
            ("裝修許可證號", "Permit", permit.number if permit else "無有效許可 None active"),
            ("開具時間", "Issued", f"{notice.occurred_at.astimezone(zone):%Y-%m-%d %H:%M}"),
            ("開具人", "Issued by", by),
            ("整改期限", "Deadline", notice.deadline.isoformat()),
        ]
    )
    paper.note(f"{BODY}\n{BODY_EN}")
    paper.heading("違規情形", "Violations")
    rules_table(paper, notice.rules)
    # A failed acceptance's notice: the items that failed, in the checklist's words.
    accepted = session.get(Acceptance, notice.acceptance_id) if notice.acceptance_id else None
    if accepted is not None:
        when = f"{accepted.occurred_at.astimezone(zone):%Y-%m-%d}"
        paper.heading("竣工驗收不合格項目", f"Failed at the completion acceptance of {when}")
        paper.note("\n".join(f"{i['zh']}  {i['en']}" for i in accepted.failed_items))
        if accepted.note:
            paper.note(accepted.note)
    if notice.note:
        paper.heading("現場情況", "What was seen")
        paper.note(notice.note)
    if photos:
        paper.heading("現場照片", "Photos")
        paper.thumbs(
            [
                Thumb(Ref(store, photo_key(sha)) if sha in held else None, f"{i}")
                for i, sha in enumerate(photos, 1)
            ]
        )
    paper.heading("送達", "Delivery")
    if delivery is not None:
        when = f"{delivery.occurred_at.astimezone(zone):%Y-%m-%d %H:%M}"
        method = vocab.DELIVERY_METHODS[delivery.method]
        paper.note(f"{method[0]} {method[1]} · {when} {delivery.recipient or ''}".strip())
    else:
        paper.note("   ".join(f"□ {zh} {en}" for zh, en in vocab.DELIVERY_METHODS.values()))
    if signature is not None and signature.signature_sha256 in held:
        when = f"{signature.occurred_at.astimezone(zone):%Y-%m-%d %H:%M}"
        drawn(
            paper,
            Ref(store, photo_key(signature.signature_sha256)),
            f"業主於手機簽名 Signed by the owner on the phone: {signature.recipient or ''} {when}",
        )
    paper.signatures(SIGNERS)
    return paper.output_bytes()


def drawn(paper: Paper, ref: Ref, caption: str) -> None:
    """A signature as drawn on the phone, with its caption beside it."""
    image = _thumbnail(ref)
    if image is None:
        return
    if paper.will_page_break(30):
        paper.add_page()
    w, h = image.size
    height = 16.0
    width = min(60.0, w * height / h)
    y = paper.get_y() + 2
    paper.image(image, paper.l_margin, y, width, height)
    paper.set_xy(paper.l_margin + width + 3, y + height - 5)
    paper.note(caption)
    paper.set_y(y + height + 1)
