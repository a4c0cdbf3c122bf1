"""Controlled vocabularies with their zh-Hant and en names.

Every enumeration the product shows lives here, once: its values (what is stored and sent)
and their two names. Labels, printed forms and exports always use the Chinese name; screens
pick by locale (``webapp.i18n.term``, ``terms`` and ``Terms``). Keeping both names here, rather
than in the message catalogue, lets the label printer use Chinese whatever the reader's language.
docs/glossary.md lists the same words; tests/webapp/test_glossary.py holds the two together.
"""

from __future__ import annotations

ROLES = {
    "patroller": ("管理員", "Patroller"),
    "supervisor": ("主管", "Supervisor"),
    "engineering": ("工程部", "Engineering"),
    "frontdesk": ("前臺", "Front desk"),
    "admin": ("系統管理員", "Administrator"),
}

UNIT_STATUSES = {
    "occupied": ("已入住", "Occupied"),
    "vacant": ("空置", "Vacant"),
    "renovating": ("裝修中", "Under renovation"),
}

SIGN_CATEGORIES = {
    "building_number": ("樓棟號", "Building number"),
    "floor": ("樓層", "Floor"),
    "door_number": ("門牌號", "Door number"),
    "entrance_exit": ("進出入口", "Entrances and exits"),
    "elevator": ("電梯", "Elevator"),
    "mailbox": ("信報箱", "Mailbox"),
    "public_facility": ("公共設施", "Public facilities"),
    "office_area": ("辦公區域", "Office area"),
    "emergency": ("緊急狀態", "Emergency status"),
    "safety": ("安全", "Safety"),
    "road": ("道路", "Road"),
    "temporary": ("臨時標識", "Temporary sign"),
}

KEY_CLASSES = {
    "owner": ("業主鑰匙", "Owner key"),
    "public_area": ("公共區域門窗鑰匙", "Public-area door and window key"),
    "equipment_room": ("設施設備房鑰匙", "Equipment-room key"),
}

OWNER_KEY_KINDS = {
    "security_door": ("防盜鐵門", "Security door"),
    "unit_entrance_door": ("單元門", "Unit-entrance door"),
    "interior_door": ("室內門", "Interior door"),
    "intercom_door": ("電子對講門", "Intercom door"),
    "mailbox": ("信報箱", "Mailbox"),
}

KEY_STATUSES = {
    "in": ("在櫃", "In the cabinet"),
    "out": ("借出", "Lent out"),
    "issued": ("已交業主", "Issued to owner"),
    "disputed": ("有爭議", "Disputed"),
}

SEVERITIES = {
    "low": ("低", "Low"),
    "medium": ("中", "Medium"),
    "high": ("高", "High"),
    "critical": ("緊急", "Critical"),
}

# Who holds a lent key: the key register's 持有人類型, on screen and in its export.
BORROWER_TYPES = {
    "owner": ("業主", "Owner"),
    "tenant": ("租戶", "Tenant"),
    "contractor": ("施工單位", "Contractor"),
    "staff": ("員工", "Staff"),
}

# The identity document the desk checks before an owner key is issued (the rulebook: owner keys
# are issued at move-in after the owner's identity is checked). Only its type and the last 4
# characters of its number are kept (webapp/keys/owner.py), never the whole number.
ID_DOCUMENT_TYPES = {
    "hk_identity_card": ("香港身份證", "Hong Kong identity card"),
    "resident_identity_card": ("居民身份證", "Resident identity card"),
    "passport": ("護照", "Passport"),
    "mainland_travel_permit": ("回鄉證／往來港澳通行證", "Mainland travel permit"),
    "other": ("其他", "Other"),
}

# What an event of a key's history did (the register's loan record, its exports).
KEY_ACTIONS = {
    "lend": ("借出", "Lend"),
    "return": ("歸還", "Return"),
    "issue": ("交業主", "Issue to owner"),
    "settle": ("爭議處理", "Dispute resolution"),
}

# What a key is lent for (the register's 用途): offered on the desk's lend form, and what a lend
# that names none is given for its key class (sync/keys.py ``LEND_DEFAULTS``). A purpose
# written in other words is kept as written.
KEY_PURPOSES = {
    "repair": ("維修", "Repair"),
    "inspection": ("巡查", "Inspection"),
    "equipment_maintenance": ("設備保養", "Equipment maintenance"),
    "renovation": ("裝修", "Renovation"),
    "cleaning": ("清潔", "Cleaning"),
    "viewing": ("看房", "Viewing"),
}

# What the front desk asks engineering (rule 5.3(2)): an equipment-room key leaves, and any key
# is copied, only with engineering's approval (webapp/keys/requests.py).
KEY_REQUEST_KINDS = {
    "loan": ("借用申請", "Loan request"),
    "copy": ("配製申請", "Copy request"),
}

# Where a request to engineering stands. "expired" is never stored: an approved loan not lent
# within the approval's 12 hours is shown so (the desk asks again).
KEY_REQUEST_STATUSES = {
    "pending": ("待工程部批准", "Awaiting engineering"),
    "approved": ("已批准", "Approved"),
    "refused": ("不予批准", "Refused"),
    "withdrawn": ("已撤回", "Withdrawn"),
    "expired": ("已過期", "Expired"),
}

# What a finding is about. Unlike the other vocabularies a category is stored and sent as its
# zh name (the demo's and the first phones' free-text categories were), so its value is its zh
# name. The phone's finding form offers them all but those the server alone raises.
FINDING_CATEGORIES = {
    "漏水": ("漏水", "Leak"),
    "照明故障": ("照明故障", "Lighting fault"),
    "門窗損壞": ("門窗損壞", "Door or window damaged"),
    "設施損壞": ("設施損壞", "Facility damaged"),
    "標識問題": ("標識問題", "Sign problem"),
    "裝修違規": ("裝修違規", "Renovation violation"),
    "安全隱患": ("安全隱患", "Safety hazard"),
    "雜物堆放": ("雜物堆放", "Clutter in common areas"),
    "環境衛生": ("環境衛生", "Cleanliness"),
    "蟲害": ("蟲害", "Pests"),
    "標籤需更換": ("標籤需更換", "Relabel"),
    "其他": ("其他", "Other"),
    "連續拒絕入戶": ("連續拒絕入戶", "Refused twice in a row"),
}
# Read from two refusals in a row (sync/derived.py), never reported by a person.
FINDING_CATEGORIES_RAISED_ONLY = ("連續拒絕入戶",)

# A finding's life: open → dispatched → fixed → re-inspected → closed (or reopened).
FINDING_STATUSES = {
    "open": ("待派工", "Awaiting dispatch"),
    "dispatched": ("已派工", "Dispatched"),
    "fixed": ("已修復", "Fixed"),
    "reinspected": ("已覆查", "Re-inspected"),
    "closed": ("已結案", "Closed"),
    "reopened": ("重新開啟", "Reopened"),
}

# The departments a finding is dispatched to.
DEPARTMENTS = {
    "engineering": ("工程部", "Engineering"),
    "cleaning": ("清潔部", "Cleaning"),
    "security": ("保安部", "Security"),
    "landscaping": ("綠化部", "Landscaping"),
    "customer_service": ("客服部", "Customer service"),
}

ITEM_KINDS = {
    "unit": ("房屋", "Unit"),
    "key": ("鑰匙", "Key"),
    "sign": ("標識", "Sign"),
}

ROUND_KINDS = {
    "signage": ("標識檢查", "Signage check"),
    "renovation": ("裝修巡檢", "Renovation patrol"),
    "vacant": ("空置房巡查", "Vacant-unit patrol"),
    "custom": ("自訂巡查", "Custom round"),
}

CHECK_RESULTS = {
    "ok": ("正常", "OK"),
    "issue": ("有問題", "Issue"),
    "no_access": ("無法進入", "No access"),
}

# Why a check could not get in: the contract says "nobody_home"; older phones sent "nobody".
NO_ACCESS_REASONS = {
    "nobody": ("無人", "Nobody home"),
    "nobody_home": ("無人", "Nobody home"),
    "refused": ("拒絕", "Refused"),
}

CHECK_METHODS = {
    "scan": ("掃描", "Scanned"),
    "typed": ("輸入短碼", "Typed from the label"),
    "manual": ("手動選取", "Picked from a list"),
}

# Why a check was not scanned (``check.record`` ``manual_reason``, with method typed or manual).
# A missing or damaged label also raises a finding to relabel the item (sync/derived.py).
MANUAL_REASONS = {
    "label_missing": ("標籤遺失", "Label missing"),
    "label_damaged": ("標籤損壞", "Label damaged"),
    "label_unreadable": ("標籤無法讀取", "Label unreadable"),
    "camera_unavailable": ("相機無法使用", "Camera not working"),
    "other": ("其他", "Other"),
}

# A checkpoint's status in a round window (rounds.rules).
COVERAGE_STATUSES = {
    "done": ("完成", "Done"),
    "late": ("逾時", "Late"),
    "missed": ("漏檢", "Missed"),
    "no_access": ("無法進入", "No access"),
    "pending": ("待檢", "Pending"),
}

# What a registry change did (the last part of an audit action such as ``unit.status``).
AUDIT_ACTIONS = {
    "create": ("新增", "Added"),
    "update": ("編輯", "Edited"),
    "status": ("狀態變更", "Status changed"),
    "deactivate": ("已停用", "Deactivated"),
    "reactivate": ("重新啟用", "Reactivated"),
    "import": ("匯入", "Imported"),
}

# The registry's fields as a reader names them (a change's history, an import's preview).
REGISTRY_FIELDS = {
    "name": ("名稱", "Name"),
    "floors": ("樓層數", "Floors"),
    "sort_key": ("排序", "Order"),
    "building_id": ("樓棟", "Building"),
    "entrance": ("單元", "Entrance"),
    "floor": ("樓層", "Floor"),
    "room": ("房號", "Room"),
    "status": ("狀態", "Status"),
    "category": ("類別", "Category"),
    "location": ("位置", "Location"),
    "description": ("說明", "Notes"),
    "key_class": ("鑰匙類別", "Key class"),
    "kind": ("類型", "Kind"),
    "unit_id": ("房屋", "Unit"),
    "equipment_room": ("設備房", "Equipment room"),
    "copies": ("份數", "Copies"),
    "active": ("啟用中", "Active"),
    # A renovation permit's (webapp/renovation: its history and import preview).
    "number": ("許可證號", "Permit number"),
    "owner_name": ("業主", "Owner"),
    "owner_phone": ("業主電話", "Owner's phone"),
    "contractor": ("施工單位", "Contractor"),
    "contractor_phone": ("施工單位電話", "Contractor's phone"),
    "starts_on": ("核准開工日期", "Approved start"),
    "ends_on": ("核准完工日期", "Approved end"),
    "hours": ("允許施工時間", "Allowed working hours"),
    "scope": ("核准裝修範圍", "Approved scope"),
    "deposit": ("押金", "Deposit"),
    "received": ("已收押金", "Deposit received"),
    "refunded": ("已退押金", "Deposit refunded"),
    "note": ("備註", "Note"),
    "closed_on": ("結束日期", "Closed on"),
    "close_reason": ("結束原因", "Why closed"),
    "deposit_kind": ("押金項目", "Deposit line"),
    "amount": ("金額", "Amount"),
    "on": ("日期", "Date"),
}

# Items the front desk holds for residents (rule 8): parcels and documents held at a resident's
# request, only with a supervisor's approval (8.4); mail and newspapers not yet delivered (8.6).
DESK_ITEM_KINDS = {
    "parcel": ("包裹", "Parcel"),
    "document": ("紙本文件", "Document"),
    "mail": ("信件", "Mail"),
    "newspaper": ("報紙", "Newspaper"),
    "other": ("其他", "Other"),
}

# Where a held item stands: open while it is at the desk (awaiting approval, held, or refused
# and still to be returned), closed once collected or returned.
DESK_ITEM_STATUSES = {
    "requested": ("待主管批准", "Awaiting approval"),
    "held": ("代存中", "Held at the desk"),
    "refused": ("不予代存", "Refused, to be returned"),
    "collected": ("已領取", "Collected"),
    "returned": ("已退回", "Returned"),
}

# What happened to a held item (its history, the items log's export).
DESK_ITEM_ACTIONS = {
    "receive": ("收件", "Received"),
    "approve": ("主管批准", "Approved by a supervisor"),
    "refuse": ("主管不批准", "Refused by a supervisor"),
    "hand_over": ("交接班", "Handed over at shift change"),
    "collect": ("住戶領取", "Collected"),
    "return": ("退回", "Returned"),
}

# Where a background job stands (webapp/jobs): waiting its turn (or its retry), being run by a
# worker, finished, or given up after its last try.
JOB_STATES = {
    "queued": ("排隊中", "Queued"),
    "running": ("執行中", "Running"),
    "done": ("已完成", "Done"),
    "failed": ("失敗", "Failed"),
}

# What an alert is about (webapp/alerts): the event kinds recorded for the alerts to send
# (docs/alerts.md: where each is found, who hears of it). The renovation chain's two
# (notice_deadline, stop_work) are recorded by its own code.
ALERT_KINDS = {
    "critical_finding": ("緊急報事", "Critical finding"),
    "major_violation": ("重大違規", "Major violation"),
    "window_missed": ("巡查時段漏檢", "Round window closed with missed checkpoints"),
    "key_overdue": ("鑰匙逾期未還", "Key overdue"),
    "key_disputed": ("鑰匙有爭議", "Key disputed"),
    "refused_twice": ("空置房連續拒絕入戶", "Entry refused twice at a vacant unit"),
    "op_quarantined": ("記錄進入隔離區", "Record quarantined"),
    "device_unsynced": ("裝置有未同步記錄", "Device holding unsynced records"),
    "finding_dispatched": ("報事已派工", "Finding dispatched"),
    "finding_overdue": ("報事逾期", "Finding past its due date"),
    "notice_deadline": ("整改期限明天到期", "Notice deadline tomorrow"),
    "stop_work": ("停工", "Stop-work"),
    "key_chain_broken": ("鑰匙記錄被竄改", "Key records tampered with"),
    # A person's own summaries (webapp/alerts/digests.py), not events of an estate.
    "digest_daily": ("每日摘要", "Daily digest"),
    "digest_weekly": ("每週報告", "Weekly report"),
}

# How an alert reaches a person (webapp/alerts/channels.py: one sender per name).
ALERT_CHANNELS = {
    "bell": ("站內通知", "In-app bell"),
    "email": ("電子郵件", "Email"),
    "push": ("推播通知", "Push notification"),
}

# Where one alert to one person on one channel stands: waiting (its job queued, perhaps until
# quiet hours end), sent, skipped (no longer wanted when its time came), or failed.
ALERT_DELIVERY_STATES = {
    "waiting": ("等待發送", "Waiting"),
    "sent": ("已發送", "Sent"),
    "skipped": ("已略過", "Skipped"),
    "failed": ("發送失敗", "Failed"),
}

# Renovation (issue 20). A permit's place in its life, by its dates and its closing: not yet
# begun, under way (the unit is 裝修中), past its end date with no acceptance, or closed.
PERMIT_STATES = {
    "upcoming": ("待開工", "Not started"),
    "active": ("施工中", "In progress"),
    "overrun": ("逾期未驗收", "Overrun"),
    "closed": ("已結案", "Closed"),
}

# Why a permit closed: its completion acceptance, the work ended without one (the unit's status
# changed by hand), or the permit withdrawn.
PERMIT_CLOSE_REASONS = {
    "accepted": ("竣工驗收", "Accepted on completion"),
    "ended": ("裝修結束", "Work ended"),
    "withdrawn": ("已撤銷", "Withdrawn"),
}

# A line of a permit's deposit ledger 裝修押金: received, deducted (a fine, a repair), refunded.
DEPOSIT_KINDS = {
    "received": ("收取", "Received"),
    "deducted": ("扣除", "Deducted"),
    "refunded": ("退還", "Refunded"),
}

# The rules a renovation breaks, in the rulebook's words: the three major violations 重大違規
# first (RENOVATION_MAJOR), then the others of the 《裝修巡檢表》. The keys of the first five are
# the renovation checklist's items (webapp/rounds/defaults.py), so a failed item names its rule.
RENOVATION_RULES = {
    "load_bearing": ("破壞承重牆", "Damaging a load-bearing wall"),
    "facade": ("改變外立面", "Changing the facade"),
    "waterproof": ("破壞廚衛防水層", "Breaking the kitchen/bathroom waterproof layer"),
    "permit": ("未張貼裝修許可證", "Renovation permit not posted"),
    "debris": ("垃圾未按規定清運", "Debris not removed as agreed"),
    "hours": ("超出允許施工時間", "Working outside the allowed hours"),
    "scope": ("超出核准裝修範圍", "Work beyond the approved scope"),
    "other": ("其他違規", "Other violation"),
}
RENOVATION_MAJOR = ("load_bearing", "facade", "waterproof")

# A rectification notice 《裝修違規整改通知單》: issued on patrol, delivered, then rectified by its
# deadline, overdue past it (read from the deadline, never stored), or escalated.
NOTICE_STATUSES = {
    "issued": ("已開具", "Issued"),
    "delivered": ("已送達", "Delivered"),
    "rectified": ("已整改", "Rectified"),
    "overdue": ("逾期", "Overdue"),
    "escalated": ("已上報", "Escalated"),
}

# How a notice reached its addressee.
DELIVERY_METHODS = {
    "owner": ("交業主", "Handed to the owner"),
    "contractor": ("交施工單位", "Handed to the contractor"),
    "door": ("張貼於門上", "Posted on the door"),
}

# A re-inspection of a notice on its deadline: put right (the notice closes) or not (a stop-work
# notice 《停工通知》, the notice escalated).
REINSPECTION_RESULTS = {
    "rectified": ("已整改", "Rectified"),
    "not_rectified": ("未整改", "Not rectified"),
}

# A stop-work notice 《停工通知》: in force until a re-inspection finds its notice rectified.
STOP_WORK_STATES = {
    "in_force": ("停工中", "In force"),
    "lifted": ("已復工", "Lifted"),
}

# A completion acceptance 《裝修審批及竣工驗收表》: passed (deposit refunded, permit closed) or
# failed (a notice lists the failed items).
ACCEPTANCE_RESULTS = {
    "passed": ("驗收合格", "Passed"),
    "failed": ("驗收不合格", "Failed"),
}

# Who signs an acceptance on the phone (a notice: owner or contractor).
SIGNER_ROLES = {
    "owner": ("業主", "Owner"),
    "contractor": ("施工單位", "Contractor"),
    "manager": ("管理處", "Management office"),
}

# The completion acceptance's checklist, by version (an acceptance names the version it
# answered, as a check names its round's): each item answered yes / no / n/a ("no" fails it),
# and a failed item's ``rule`` is the rule the notice it leads to names. A change of items is a
# new version; old acceptances keep reading theirs.
ACCEPTANCE_CHECKLIST_VERSION = 1
ACCEPTANCE_CHECKLISTS: dict[int, list[dict[str, str]]] = {
    1: [
        {
            "key": "load_bearing",
            "zh": "承重牆、梁、柱完好",
            "en": "Load-bearing walls, beams and columns intact",
            "rule": "load_bearing",
        },
        {
            "key": "facade",
            "zh": "外立面、外窗未改變",
            "en": "Facade and outer windows unchanged",
            "rule": "facade",
        },
        {
            "key": "waterproof",
            "zh": "廚衛防水層完好，閉水試驗合格",
            "en": "Kitchen/bathroom waterproofing intact, flood test passed",
            "rule": "waterproof",
        },
        {
            "key": "pipes",
            "zh": "給排水、燃氣管道未移位，無滲漏",
            "en": "Water, drain and gas pipes not moved, no leaks",
            "rule": "other",
        },
        {
            "key": "electrical",
            "zh": "電氣線路符合規範",
            "en": "Wiring to code",
            "rule": "other",
        },
        {
            "key": "fire",
            "zh": "消防設施（煙感、噴淋）完好",
            "en": "Fire safety (smoke detectors, sprinklers) intact",
            "rule": "other",
        },
        {
            "key": "scope",
            "zh": "施工與核准範圍相符",
            "en": "Work matches the approved scope",
            "rule": "scope",
        },
        {
            "key": "debris",
            "zh": "裝修垃圾已清運，公共區域無損壞",
            "en": "Debris removed, common areas undamaged",
            "rule": "debris",
        },
    ],
}
ACCEPTANCE_ANSWERS = ("yes", "no", "na")

VOCABULARIES = {
    "role": ROLES,
    "unit_status": UNIT_STATUSES,
    "sign_category": SIGN_CATEGORIES,
    "finding_category": FINDING_CATEGORIES,
    "key_class": KEY_CLASSES,
    "owner_key_kind": OWNER_KEY_KINDS,
    "key_status": KEY_STATUSES,
    "item_kind": ITEM_KINDS,
    "severity": SEVERITIES,
    "borrower_type": BORROWER_TYPES,
    "key_action": KEY_ACTIONS,
    "key_purpose": KEY_PURPOSES,
    "key_request_kind": KEY_REQUEST_KINDS,
    "key_request_status": KEY_REQUEST_STATUSES,
    "id_document": ID_DOCUMENT_TYPES,
    "finding_status": FINDING_STATUSES,
    "department": DEPARTMENTS,
    "round_kind": ROUND_KINDS,
    "check_result": CHECK_RESULTS,
    "no_access_reason": NO_ACCESS_REASONS,
    "check_method": CHECK_METHODS,
    "manual_reason": MANUAL_REASONS,
    "coverage_status": COVERAGE_STATUSES,
    "audit_action": AUDIT_ACTIONS,
    "registry_field": REGISTRY_FIELDS,
    "desk_item_kind": DESK_ITEM_KINDS,
    "desk_item_status": DESK_ITEM_STATUSES,
    "desk_item_action": DESK_ITEM_ACTIONS,
    "job_state": JOB_STATES,
    "alert_kind": ALERT_KINDS,
    "alert_channel": ALERT_CHANNELS,
    "alert_delivery_state": ALERT_DELIVERY_STATES,
    "permit_state": PERMIT_STATES,
    "permit_close_reason": PERMIT_CLOSE_REASONS,
    "deposit_kind": DEPOSIT_KINDS,
    "renovation_rule": RENOVATION_RULES,
    "notice_status": NOTICE_STATUSES,
    "delivery_method": DELIVERY_METHODS,
    "reinspection_result": REINSPECTION_RESULTS,
    "stop_work_state": STOP_WORK_STATES,
    "acceptance_result": ACCEPTANCE_RESULTS,
    "signer_role": SIGNER_ROLES,
}


def floor_name(floor: int | None) -> str:
    """A floor as managers write it, in both languages: 15樓, a basement B1 (never -1樓)."""
    if floor is None:
        return ""
    return f"B{-floor}" if floor < 0 else f"{floor}樓"


def zh(vocabulary: str, value: str) -> str:
    """Return the Chinese name of a value, or the value itself if unknown."""
    return VOCABULARIES[vocabulary].get(value, (value, value))[0]


def en(vocabulary: str, value: str) -> str:
    """Return the English name of a value, or the value itself if unknown."""
    return VOCABULARIES[vocabulary].get(value, (value, value))[1]
