"""The rounds pages' forms: a round's name, windows and period; its checklist; custom rounds."""

from __future__ import annotations

from flask_babel import gettext as _
from wtforms import Field, StringField, TextAreaField
from wtforms.validators import ValidationError

from webapp import vocab
from webapp.forms import Choice, Day, EstateId, FilterForm, Form, Longest, Text, longest_message
from webapp.rounds import rules
from webapp.text import too_long, trim
from webapp.values import MAX_INT

ITEM_TYPES = ("yesno", "choice", "number", "text", "photo")
# The severities a failed checklist item may make besides critical (its own checkbox).
FAIL_SEVERITIES = tuple(severity for severity in vocab.SEVERITIES if severity != "critical")
CUSTOM_ITEM_TYPES = ("sign", "unit")
NAME_MAX = 120  # a round's name, and a checklist question in each language


class TextList(Field):
    """Every value sent under one name, in order (rows of a table, ticked boxes)."""

    def process_formdata(self, valuelist):
        self.data = list(valuelist)

    def process_data(self, value):
        self.data = list(value or [])


def _nth(values: list[str], n: int) -> str:
    return values[n] if n < len(values) else ""


class RoundForm(Form):
    """A round: its name, its windows (HH:MM to HH:MM), how often, whether it is on."""

    name = StringField(filters=[lambda v: v or ""], validators=[Longest(NAME_MAX)])
    period_days = StringField(default="1")
    start = TextList()
    end = TextList()
    active = StringField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.slots: list[dict] = []

    def validate_name(self, field):
        if not field.data:
            raise ValidationError(_("Give the round a name."))

    def validate_period_days(self, field):
        period = field.data or ""
        if not (period.isascii() and period.isdigit()) or not 1 <= int(period) <= 60:
            raise ValidationError(_("Repeat every 1 to 60 days."))

    def validate_start(self, field):
        for start, end in zip(field.data, self.end.data, strict=False):
            if not start.strip() and not end.strip():
                continue
            if rules.parse_hm(start) is None or rules.parse_hm(end) is None:
                raise ValidationError(_("Give each window's times as HH:MM."))
            self.slots.append({"start": start.strip(), "end": end.strip()})
        if not self.slots:
            raise ValidationError(_("A round needs at least one window."))

    def error(self) -> str | None:
        """The one message the page shows: the name's, else the period's, else the windows'."""
        for field in (self.name, self.period_days, self.start):
            if field.errors:
                return field.errors[0]
        return None


class ChecklistForm(Form):
    """A checklist's rows: question (zh, en), answer type, key, critical and required boxes
    (by row number), and what a failed answer makes (severity, category)."""

    zh = TextList()
    en = TextList()
    type = TextList()
    key = TextList()
    critical = TextList()
    required = TextList()
    severity = TextList()
    category = TextList()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.items: list[dict] = []
        # Every row as typed (shown back when one is refused) and what is refused, if a text.
        self.rows: list[dict] = []
        self.error: str | None = None

    def validate(self, extra_validators=None) -> bool:
        """Read the rows into items; False when a row names an unknown type or severity, or
        a text is over its length (``error`` says which row, nothing is cut)."""
        if not super().validate(extra_validators):
            return False
        rows = zip(self.zh.data, self.en.data, self.type.data, strict=False)
        for n, (zh, en, kind) in enumerate(rows):
            zh, en = trim(zh), trim(en)
            key = trim(_nth(self.key.data, n))
            category = trim(_nth(self.category.data, n))
            self.rows.append(
                {
                    "key": key,
                    "type": kind,
                    "zh": zh,
                    "en": en,
                    "critical": str(n) in self.critical.data,
                    "required": str(n) in self.required.data,
                    "severity": _nth(self.severity.data, n),
                    "category": category,
                }
            )
            for text, limit in ((zh, NAME_MAX), (en, NAME_MAX), (key, 40), (category, 64)):
                if self.error is None and too_long(text, limit):
                    self.error = _(
                        "Row %(row)d: %(message)s", row=n + 1, message=longest_message(limit)
                    )
        if self.error is not None:
            return False
        for n, row in enumerate(self.rows):
            zh, en, kind = row["zh"], row["en"], row["type"]
            if not zh and not en:
                continue
            if kind not in ITEM_TYPES:
                return False
            item = {
                "key": self.rows[n]["key"] or f"q{n + 1}",
                "type": kind,
                "zh": zh,
                "en": en,
            }
            if str(n) in self.critical.data:
                item["critical"] = True
            if str(n) in self.required.data:
                item["required"] = True
            # What a failed answer makes: its finding's severity (critical is the checkbox) and
            # category (blank: the round's default). Medium is the default and is not stored.
            severity = _nth(self.severity.data, n) or "medium"
            if severity not in FAIL_SEVERITIES:
                return False
            if severity != "medium":
                item["severity"] = severity
            category = self.rows[n]["category"]
            if category:
                item["category"] = category
            self.items.append(item)
        return True


class CustomRoundForm(Form):
    """A new custom round: the estate and a name (else "Custom round")."""

    estate = StringField()
    name = StringField(filters=[lambda v: v or ""], validators=[Longest(NAME_MAX)])

    def estate_id(self) -> int | None:
        """The estate's id as sent, or None when it names nothing."""
        raw = self.estate.data or ""
        if raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_INT:
            return int(raw)
        return None


class CustomItemsForm(Form):
    """A custom round's checkpoints: found items to add, chosen ones to remove, typed codes."""

    add = TextList()
    remove = TextList()
    codes = TextAreaField()

    @staticmethod
    def refs(values) -> list[tuple[str, int]]:
        """``sign:12`` and ``unit:3`` as (type, id); anything else left out."""
        out = []
        for value in values:
            kind, _sep, ident = value.partition(":")
            if kind in CUSTOM_ITEM_TYPES and ident.isascii() and ident.isdigit():
                out.append((kind, int(ident)))
        return out

    def typed_codes(self) -> list[str]:
        """The label codes typed, split at spaces and commas."""
        return (self.codes.data or "").replace(",", " ").split()


# ---------------------------------------------------------------- the pages' query arguments


class EstateArgs(FilterForm):
    """The estate a page is of (none: the reader's first; another's is 404)."""

    estate = EstateId()


class CoverageArgs(EstateArgs):
    """The coverage grid: its estate, its day (none: today) and span."""

    date = Day()
    view = Choice(("day", "week"), default="day")


class ReportArgs(EstateArgs):
    """The coverage report (/api/reports/coverage): an estate and a day, both required."""

    date = Day()


class SearchArgs(FilterForm):
    """A custom round's search for items to add (``?q=``: words of a label)."""

    q = Text(60)
