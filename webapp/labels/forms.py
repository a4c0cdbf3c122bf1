"""The labels page's two forms: a sheet of an estate's items, and one item's label."""

from __future__ import annotations

from flask_babel import gettext as _
from wtforms import StringField
from wtforms.validators import ValidationError

from webapp.extensions import db
from webapp.forms import Form, Longest
from webapp.labels import codes, printing, sheets
from webapp.models import Building, Estate, LabelCode
from webapp.scoping import scoped, visible_estate_ids
from webapp.values import object_id


def _id(text: str | None) -> int | None:
    """An id from the form, or None when it names nothing (not a number, or past 32 bits: a
    forged id is never sent to the database)."""
    try:
        return object_id(text or "")
    except ValueError:
        return None


def _template(name: str | None, kind: str) -> sheets.Template:
    name = name or printing.default_template(kind)
    if name not in sheets.TEMPLATES:
        raise ValidationError(_("Unknown template. Choose one from the list."))
    return sheets.TEMPLATES[name]


def _skip(text: str | None, template: sheets.Template | None) -> int:
    try:
        skip = int((text or "0").strip())
    except ValueError:
        raise ValidationError(_("Give a whole number of used positions.")) from None
    if template is not None and not 0 <= skip < template.per_page:
        raise ValidationError(
            _(
                "Skip 0 to %(last)d: a %(template)s sheet has %(n)d positions.",
                last=template.per_page - 1,
                template=template.name,
                n=template.per_page,
            )
        )
    return skip


class _LabelForm(Form):
    """What both forms share: the label stock and the positions already used on it."""

    def _kind(self) -> str:
        raise NotImplementedError

    def validate_template(self, field):
        kind = self._kind()
        self.sheet_template = sheets.TEMPLATES[printing.default_template(kind)]  # if refused
        self.sheet_template = _template(field.data, kind)

    def validate_skip(self, field):
        self.skip_count = _skip(field.data, self.sheet_template)


class SheetForm(_LabelForm):
    """A sheet: the estate, which kind of item, optionally one building and floor."""

    estate = StringField()
    kind = StringField()
    template = StringField()
    skip = StringField(default="0")
    building = StringField()
    floor = StringField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.chosen_estate: Estate | None = None
        self.chosen_building: Building | None = None
        self.floor_number: int | None = None
        self.sheet_template: sheets.Template | None = None
        self.skip_count = 0

    def _kind(self) -> str:
        return self.kind.data

    def validate_estate(self, field):
        wanted = _id(field.data)
        if wanted is not None and wanted in visible_estate_ids():
            self.chosen_estate = db.session.get(Estate, wanted)
        if self.chosen_estate is None:
            raise ValidationError(_("Choose one of your estates."))

    def validate_kind(self, field):
        if field.data not in printing.KINDS:
            field.data = "unit"
            raise ValidationError(_("Choose units, keys or signs."))

    def validate_building(self, field):
        if not field.data:
            return
        wanted = _id(field.data)
        if wanted is not None:
            self.chosen_building = db.session.scalar(scoped(Building).where(Building.id == wanted))
        estate = self.chosen_estate
        if self.chosen_building is None or (
            estate is not None and self.chosen_building.estate_id != estate.id
        ):
            raise ValidationError(_("That building is not in the chosen estate."))

    def validate_floor(self, field):
        if not field.data:
            return
        try:
            floor = int(field.data)
        except ValueError:
            floor = None
        if floor is None or not -9 <= floor <= 200:  # the registry's floors; no column holds 10**22
            raise ValidationError(_("A floor is a whole number."))
        self.floor_number = floor


class OneForm(_LabelForm):
    """One label: a code (long or short), print it again or reprint with a new code."""

    code = StringField()
    action = StringField(default="print")
    template = StringField()
    skip = StringField(default="0")
    reason = StringField(validators=[Longest(codes.MAX_REASON)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.found: LabelCode | None = None
        self.sheet_template: sheets.Template | None = None
        self.skip_count = 0

    def _kind(self) -> str:
        return self.found.item_type if self.found is not None else "unit"

    def validate_code(self, field):
        code = codes.normalize(field.data or "")
        # Longer than the column, it is no code (never read as its first characters).
        if code and len(code) <= LabelCode.code.type.length:
            self.found = db.session.scalar(scoped(LabelCode).where(LabelCode.code == code))
        if field.data and self.found is None:
            self.found = codes.find_short_code(db.session, visible_estate_ids(), field.data)
        if self.found is None:
            raise ValidationError(_("No label of your estates has this code."))
        if not self.found.active and self.action.data == "reprint":
            raise ValidationError(
                _("This code was already replaced; reprint the item's current code.")
            )

    def validate_action(self, field):
        if field.data not in ("print", "reprint"):
            raise ValidationError(_("Choose print or reprint."))
