"""Default rounds and checklists, after the company's rulebook, in zh-Hant and en."""

from __future__ import annotations

from datetime import date

STATE_CHOICES = [
    {"value": "in_place", "zh": "完好在位", "en": "In place"},
    {"value": "damaged", "zh": "損壞", "en": "Damaged"},
    {"value": "dirty", "zh": "髒污", "en": "Dirty"},
    {"value": "obscured", "zh": "遮擋", "en": "Obscured"},
    {"value": "missing", "zh": "缺失", "en": "Missing"},
]

CHECKLISTS: dict[str, list[dict]] = {
    "signage": [
        {
            "key": "state",
            "type": "choice",
            "zh": "標識狀態",
            "en": "Sign state",
            "choices": STATE_CHOICES,
            "ok": ["in_place"],
            "required": True,
        },
        {"key": "photo", "type": "photo", "zh": "問題照片", "en": "Photo of the problem"},
    ],
    "vacant": [
        {"key": "shut", "type": "yesno", "zh": "門窗關閉", "en": "Doors and windows shut"},
        {
            "key": "utilities_off",
            "type": "yesno",
            "zh": "水電氣已關",
            "en": "Water, power and gas off",
        },
        {"key": "no_leaks", "type": "yesno", "zh": "無滲漏", "en": "No leaks"},
        {"key": "no_damage", "type": "yesno", "zh": "無損壞", "en": "No damage"},
        {"key": "no_pests", "type": "yesno", "zh": "無蟲鼠", "en": "No pests"},
        {
            "key": "no_intrusion",
            "type": "yesno",
            "zh": "無闖入痕跡",
            "en": "No signs of intrusion",
            "severity": "high",
        },
        {"key": "note", "type": "text", "zh": "備註", "en": "Notes"},
    ],
    "renovation": [
        {
            "key": "load_bearing",
            "type": "yesno",
            "zh": "未破壞承重牆",
            "en": "Load-bearing walls intact",
            "critical": True,
        },
        {
            "key": "facade",
            "type": "yesno",
            "zh": "未改變外立面",
            "en": "Facade unchanged",
            "critical": True,
        },
        {
            "key": "waterproof",
            "type": "yesno",
            "zh": "廚衛防水層完好",
            "en": "Kitchen/bathroom waterproof layer intact",
            "critical": True,
        },
        {
            "key": "permit",
            "type": "yesno",
            "zh": "裝修許可證張貼",
            "en": "Renovation permit posted",
        },
        {
            "key": "debris",
            "type": "yesno",
            "zh": "垃圾按規定清運",
            "en": "Debris removed as agreed",
        },
        {"key": "workers", "type": "number", "zh": "現場工人數", "en": "Workers on site"},
        {"key": "photo", "type": "photo", "zh": "現場照片", "en": "Site photo"},
    ],
    "custom": [
        {"key": "ok", "type": "yesno", "zh": "狀況正常", "en": "All in order"},
        {"key": "note", "type": "text", "zh": "備註", "en": "Notes"},
    ],
}

ROUNDS = [
    # kind, zh name, slots, period days
    (
        "signage",
        "標識檢查",
        [{"start": "08:00", "end": "12:00"}, {"start": "14:00", "end": "18:00"}],
        1,
    ),
    ("renovation", "裝修巡檢", [{"start": "08:00", "end": "18:00"}], 1),
    ("vacant", "空置房巡查", [{"start": "00:00", "end": "00:00", "days": 7}], 7),
]

# Weekly rounds start on Mondays.
ANCHOR = date(2026, 1, 5)
