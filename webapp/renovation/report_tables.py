"""The Saturday report's numbers (``report.report``'s JSON) as tables, one per block: headings
in both languages, cells in one (Chinese on paper and in the workbook, as every printed form
and export; the reader's on the page). The page, the PDF and the workbook draw these, so they
say the same thing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from webapp import vocab
from webapp.paper.pdf import Column
from webapp.rounds import rules

WEEKDAYS = "一二三四五六日"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def Col(zh: str, en: str, width: float = 1.0, align: str = "CENTER") -> Column:  # noqa: N802
    """A column of the report: centred unless told (counts, mostly)."""
    return Column(zh, en, width, align)


@dataclass
class Block:
    """One block of the report as a table: ``name`` is its sheet's, ``bad`` the (row, column)
    cells drawn in the alarm colour, ``links`` a path name and id per row (the page links the
    first cell), ``more`` how many rows were left out."""

    name: str
    zh: str
    en: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    bad: set[tuple[int, int]] = field(default_factory=set)
    links: list[tuple[str, object] | None] = field(default_factory=list)
    note_zh: str = ""
    note_en: str = ""
    more: int = 0

    def title(self, en: bool) -> str:
        return self.en if en else self.zh

    def headers(self, en: bool) -> list[str]:
        return [c.en if en else c.zh for c in self.columns]


def _name(vocabulary: str, value: str, en: bool) -> str:
    return vocab.en(vocabulary, value) if en else vocab.zh(vocabulary, value)


def day_name(text: str, en: bool) -> str:
    """A day of the week as the report heads it: 05-09（六） / Sat 05-09."""
    day = date.fromisoformat(text)
    if en:
        return f"{WEEKDAYS_EN[day.weekday()]} {day:%m-%d}"
    return f"{day:%m-%d}（{WEEKDAYS[day.weekday()]}）"


def _patrols(numbers: dict, en: bool) -> Block:
    statuses = (rules.DONE, rules.LATE, rules.NO_ACCESS, rules.MISSED, rules.PENDING)
    block = Block(
        "patrols",
        "裝修巡檢：應巡與完成",
        "Renovation patrols: due and done",
        [Col("日期", "Day", 1.4)]
        + [Col("應巡", "Due")]
        + [Col(*vocab.COVERAGE_STATUSES[s]) for s in statuses],
        note_zh="應巡＝每日裝修巡檢時段的裝修中房屋數；完成＝時段內巡檢；逾時＝時段後才巡檢。",
        note_en="Due = units under renovation in each day's patrol window; done = checked in "
        "the window; late = checked after it.",
    )
    for row in [*numbers["days"], {"date": None, **numbers}]:
        label = day_name(row["date"], en) if row["date"] else ("Week" if en else "合計")
        block.rows.append([label, row["due"], *(row[s] for s in statuses)])
        i = len(block.rows) - 1
        if row[rules.MISSED]:
            block.bad.add((i, 5))
    return block


def _violations(numbers: dict, en: bool) -> Block:
    block = Block(
        "violations",
        "違規情況（按項目）",
        "Violations by rule",
        [
            Col("違規項目", "Rule", 3.2, "LEFT"),
            Col("類別", "Kind", 1.2),
            Col("巡檢不合格", "Failed on patrol"),
            Col("開具通知單", "On notices issued"),
        ],
        note_zh=f"本週「裝修違規」報事 {numbers['findings']} 件；重大違規（前三項）另計合計。",
        note_en=f"Findings reported as renovation violations this week: {numbers['findings']}; "
        "the three major violations are totalled apart.",
    )
    major = "Major" if en else "重大違規"
    other = "Other" if en else "一般"
    for rule in numbers["rules"]:
        block.rows.append(
            [
                _name("renovation_rule", rule["rule"], en),
                major if rule["major"] else other,
                rule["failed"],
                rule["noticed"],
            ]
        )
        if rule["major"] and (rule["failed"] or rule["noticed"]):
            block.bad.add((len(block.rows) - 1, 0))
    block.rows.append(
        [
            "Major violations" if en else "重大違規合計",
            major,
            numbers["major_failed"],
            numbers["major_noticed"],
        ]
    )
    block.rows.append(
        [
            "All rules" if en else "合計",
            "",
            numbers["failed"],
            sum(r["noticed"] for r in numbers["rules"]),
        ]
    )
    return block


def _counts(name: str, zh: str, en_title: str, columns: list[tuple[str, str, str]],
            numbers: dict, note: tuple[str, str] = ("", "")) -> Block:  # fmt: skip
    """A block of a few counts in one row."""
    return Block(
        name,
        zh,
        en_title,
        [Col(c_zh, c_en) for _key, c_zh, c_en in columns],
        rows=[[numbers[key] for key, _zh, _en in columns]],
        note_zh=note[0],
        note_en=note[1],
    )


def _open_notices(numbers: dict, en: bool) -> Block:
    block = Block(
        "open_notices",
        "未整改的整改通知單",
        "Notices not yet put right",
        [
            Col("編號", "No.", 1.1),
            Col("房屋", "Unit", 2.4, "LEFT"),
            Col("違規項目", "Rules broken", 3.2, "LEFT"),
            Col("整改期限", "Deadline", 1.2),
            Col("狀態", "Status", 1.0),
        ],
        more=numbers["total"] - len(numbers["rows"]),
    )
    for row in numbers["rows"]:
        rules_named = "、" if not en else "; "
        block.rows.append(
            [
                row["number"],
                row["unit"],
                rules_named.join(_name("renovation_rule", r, en) for r in row["rules"]),
                row["deadline"],
                _name("notice_status", row["status"], en),
            ]
        )
        block.links.append(("renovation.notice_pdf", row["id"]))
        if row["status"] == "overdue":
            block.bad.add((len(block.rows) - 1, 4))
    return block


def _overrun(numbers: dict, en: bool) -> Block:
    block = Block(
        "overrun",
        "逾期未驗收的裝修許可",
        "Permits overrun",
        [
            Col("許可證號", "Permit", 1.2),
            Col("房屋", "Unit", 2.4, "LEFT"),
            Col("施工單位", "Contractor", 2.6, "LEFT"),
            Col("核准完工", "Approved end", 1.2),
            Col("逾期天數", "Days over", 1.0),
        ],
        more=numbers["total"] - len(numbers["rows"]),
    )
    for row in numbers["rows"]:
        block.rows.append(
            [row["number"], row["unit"], row["contractor"], row["ends_on"], row["days_over"]]
        )
        block.links.append(("renovation.permit", row["id"]))
        block.bad.add((len(block.rows) - 1, 4))
    return block


def _reported(numbers: dict, en: bool) -> Block:
    block = Block(
        "reported",
        "本週報事（按類別）",
        "Reported items this week, by category",
        [
            Col("類別", "Category", 3.0, "LEFT"),
            Col("報事", "Reported"),
            Col("仍未結案", "Still open"),
        ],
    )
    for row in numbers["categories"]:
        # A category is stored as its zh name; one the vocabulary does not know is shown as is.
        name = vocab.en("finding_category", row["category"]) if en else row["category"]
        block.rows.append([name, row["reported"], row["open"]])
    block.rows.append(
        ["All" if en else "合計", numbers["total"], sum(r["open"] for r in numbers["categories"])]
    )
    return block


def blocks(estate: dict, en: bool = False) -> list[Block]:
    """An estate's report (one item of ``report.report``) as its tables, in order."""
    return [
        _patrols(estate["patrols"], en),
        _violations(estate["violations"], en),
        _counts(
            "notices",
            "整改通知單",
            "Rectification notices",
            [
                ("issued", "本週開具", "Issued"),
                ("delivered", "本週送達", "Delivered"),
                ("rectified", "本週整改", "Rectified"),
                ("overdue", "逾期未整改", "Overdue"),
            ],
            estate["notices"],
        ),
        _counts(
            "stop_works",
            "停工",
            "Stop-work orders",
            [("issued", "本週停工", "Issued"), ("lifted", "本週復工", "Lifted")],
            estate["stop_works"],
        ),
        _counts(
            "acceptances",
            "竣工驗收",
            "Completion acceptances",
            [("passed", "驗收合格", "Passed"), ("failed", "驗收不合格", "Failed")],
            estate["acceptances"],
        ),
        _counts(
            "deposits",
            "裝修押金",
            "Renovation deposits",
            [
                ("received", "本週收取", "Received"),
                ("deducted", "本週扣除", "Deducted"),
                ("refunded", "本週退還", "Refunded"),
                ("held", "週末結存", "Held at the week's end"),
            ],
            estate["deposits"],
        ),
        _reported(estate["reported"], en),
        _open_notices(estate["open_notices"], en),
        _overrun(estate["overrun"], en),
    ]
