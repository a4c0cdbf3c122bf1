"""Forms for creating and editing buildings, units, signs and keys (errors beside each field)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import SelectField, StringField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from webapp import vocab
from webapp.extensions import db
from webapp.forms import Choice, FilterForm, Flag, Form, IntegerField, Number, Text
from webapp.i18n import term
from webapp.models import Building, Key, Sign, Unit
from webapp.registry import naming
from webapp.scoping import scoped
from webapp.values import MAX_INT, choice_id


def _choices(vocabulary: str, blank: str | None = None) -> list[tuple[str, str]]:
    out = [("", blank)] if blank is not None else []
    return out + [(value, term(vocabulary, value)) for value in vocab.VOCABULARIES[vocabulary]]


def _building_choices(buildings, blank: str | None = None) -> list[tuple[int, str]]:
    out = [(0, blank)] if blank is not None else []
    return out + [(b.id, b.name) for b in buildings if b.active]


# A name is read as it is kept (webapp.registry.naming: NFKC folded, "3" made "3棟") before any
# validator sees it, so its length is judged on what the column must hold, with the field's own
# message: ﷺ is 1 character typed and 18 kept.


class BuildingForm(Form):
    """A building: its name as labels write it, its floors and its place in lists."""

    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=40)], filters=[naming.building_name]
    )
    floors = IntegerField(
        _l("Floors"), validators=[InputRequired(), NumberRange(min=1, max=200)], default=1
    )
    sort_key = IntegerField(
        _l("Order"), validators=[Optional(), NumberRange(min=0, max=9999)], default=0
    )

    def __init__(self, estate_id: int, building: Building | None = None, **kwargs):
        super().__init__(obj=building, **kwargs)
        self.estate_id = estate_id
        self.building = building

    def validate_name(self, field):
        clash = db.session.scalar(
            scoped(Building).where(
                Building.estate_id == self.estate_id,
                Building.name == field.data,
                Building.id != (self.building.id if self.building else -1),
            )
        )
        if clash is not None:
            raise ValidationError(_l("This estate already has a building with this name."))


class UnitForm(Form):
    """A unit: building, entrance, floor, room and status."""

    building_id = SelectField(_l("Building"), coerce=choice_id, validators=[InputRequired()])
    entrance = StringField(
        _l("Entrance"), validators=[DataRequired(), Length(max=20)], filters=[naming.entrance]
    )
    floor = IntegerField(_l("Floor"), validators=[InputRequired(), NumberRange(min=-9, max=200)])
    room = StringField(
        _l("Room"), validators=[DataRequired(), Length(max=20)], filters=[naming.room]
    )
    status = SelectField(_l("Status"), default="occupied")

    def __init__(self, estate_id: int, buildings, unit: Unit | None = None, **kwargs):
        super().__init__(obj=unit, **kwargs)
        self.estate_id = estate_id
        self.unit = unit
        self.building_id.choices = _building_choices(buildings)
        if unit is not None and not unit.building.active:
            self.building_id.choices.append((unit.building.id, unit.building.name))
        self.status.choices = _choices("unit_status")

    def validate_status(self, field):
        was = self.unit.status if self.unit is not None else None
        if (field.data == "renovating") != (was == "renovating"):
            raise ValidationError(
                _l(
                    "Under renovation follows the unit's renovation permits: add or close a "
                    "permit in the renovation register."
                )
            )

    def validate_entrance(self, field):
        if not field.data:
            raise ValidationError(_l("Enter the entrance, such as 2."))

    def validate_room(self, field):
        if not field.data:
            raise ValidationError(_l("Enter the room number, such as 1502."))
        clash = db.session.scalar(
            scoped(Unit).where(
                Unit.estate_id == self.estate_id,
                Unit.building_id == self.building_id.data,
                Unit.entrance == self.entrance.data,
                Unit.room == field.data,
                Unit.id != (self.unit.id if self.unit else -1),
            )
        )
        if clash is not None:
            raise ValidationError(_l("Another unit already has this building, entrance and room."))


class SignForm(Form):
    """A sign: its category, where it stands, and an optional building and floor."""

    category = SelectField(_l("Category"), validators=[DataRequired()])
    location = StringField(
        _l("Location"), validators=[DataRequired(), Length(max=200)], filters=[naming.clean]
    )
    building_id = SelectField(_l("Building"), coerce=choice_id, default=0)
    floor = IntegerField(_l("Floor"), validators=[Optional(), NumberRange(min=-9, max=200)])
    description = StringField(
        _l("Notes"), validators=[Optional(), Length(max=200)], filters=[naming.clean]
    )

    def __init__(self, estate_id: int, buildings, sign: Sign | None = None, **kwargs):
        super().__init__(obj=sign, **kwargs)
        self.estate_id = estate_id
        self.sign = sign
        self.category.choices = _choices("sign_category", blank=_l("Choose…"))
        self.building_id.choices = _building_choices(buildings, blank=_l("No building"))
        if sign is not None and sign.building_id is None and not self.is_submitted():
            self.building_id.data = 0

    def validate_location(self, field):
        clash = db.session.scalar(
            scoped(Sign).where(
                Sign.estate_id == self.estate_id,
                Sign.category == self.category.data,
                Sign.location == field.data,
                Sign.id != (self.sign.id if self.sign else -1),
            )
        )
        if clash is not None:
            raise ValidationError(_l("A sign of this category already stands here."))


class KeyForm(Form):
    """A key: owner keys name a unit and kind, public-area keys a building and floor,
    equipment-room keys their room."""

    key_class = SelectField(_l("Key class"), validators=[DataRequired()])
    kind = SelectField(_l("Kind"), default="")
    building_id = SelectField(_l("Building"), coerce=choice_id, default=0)
    entrance = StringField(
        _l("Entrance"), validators=[Optional(), Length(max=20)], filters=[naming.entrance]
    )
    room = StringField(_l("Room"), validators=[Optional(), Length(max=20)], filters=[naming.room])
    floor = IntegerField(_l("Floor"), validators=[Optional(), NumberRange(min=-9, max=200)])
    equipment_room = StringField(
        _l("Equipment room"), validators=[Optional(), Length(max=120)], filters=[naming.clean]
    )
    name = StringField(_l("Name"), validators=[Optional(), Length(max=120)], filters=[naming.clean])
    copies = IntegerField(
        _l("Copies"), validators=[InputRequired(), NumberRange(min=1, max=99)], default=1
    )

    def __init__(self, estate_id: int, buildings, key: Key | None = None, **kwargs):
        super().__init__(obj=key, **kwargs)
        self.estate_id = estate_id
        self.key = key
        self.unit: Unit | None = None
        self.key_class.choices = _choices("key_class", blank=_l("Choose…"))
        self.kind.choices = _choices("owner_key_kind", blank="—")
        self.building_id.choices = _building_choices(buildings, blank="—")
        if key is not None and not self.is_submitted():
            if key.key_class == "owner" and key.unit is not None:
                self.building_id.data = key.unit.building_id
                self.entrance.data = key.unit.entrance
                self.room.data = key.unit.room
            elif key.building_id is None:
                self.building_id.data = 0
            self.kind.data = key.kind or ""

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not ok:
            return False
        cls = self.key_class.data
        if cls == "owner":
            ok = self._validate_owner()
        elif cls == "public_area":
            if not self.building_id.data:
                self.building_id.errors.append(_l("Choose the building."))
                ok = False
            if self.floor.data is None:
                self.floor.errors.append(_l("Enter the floor."))
                ok = False
        elif cls == "equipment_room" and not self.equipment_room.data:
            self.equipment_room.errors.append(_l("Enter the equipment room."))
            ok = False
        return ok and self._validate_unique()

    def _validate_owner(self) -> bool:
        ok = True
        if not self.kind.data:
            self.kind.errors.append(_l("Choose which door this key opens."))
            ok = False
        if not self.building_id.data:
            self.building_id.errors.append(_l("Choose the building."))
            return False
        entrance, room = self.entrance.data, self.room.data
        if not entrance:
            self.entrance.errors.append(_l("Enter the entrance, such as 2."))
            ok = False
        if not room:
            self.room.errors.append(_l("Enter the room number, such as 1502."))
            return False
        self.unit = db.session.scalar(
            scoped(Unit).where(
                Unit.estate_id == self.estate_id,
                Unit.building_id == self.building_id.data,
                Unit.entrance == entrance,
                Unit.room == room,
            )
        )
        if self.unit is None:
            self.room.errors.append(_l("No unit with this building, entrance and room."))
            ok = False
        return ok

    def _validate_unique(self) -> bool:
        query = scoped(Key).where(
            Key.estate_id == self.estate_id,
            Key.key_class == self.key_class.data,
            Key.id != (self.key.id if self.key else -1),
        )
        name = self.name.data
        if self.key_class.data == "owner":
            query = query.where(Key.unit_id == self.unit.id, Key.kind == self.kind.data)
            field = self.kind
        elif self.key_class.data == "public_area":
            query = query.where(
                Key.building_id == self.building_id.data,
                Key.floor == self.floor.data,
                sa.func.coalesce(Key.name, "") == name,
            )
            field = self.name
        else:
            query = query.where(
                Key.equipment_room == self.equipment_room.data,
                sa.func.coalesce(Key.name, "") == name,
            )
            field = self.name
        if db.session.scalar(query) is not None:
            field.errors.append(_l("This key is already in the register."))
            return False
        return True

    def apply(self, key: Key) -> None:
        """Write the form's values onto the key, clearing what its class does not use."""
        key.key_class = self.key_class.data
        key.copies = self.copies.data
        key.name = self.name.data
        key.kind = key.unit_id = key.building_id = key.floor = key.equipment_room = None
        if key.key_class == "owner":
            key.kind = self.kind.data
            key.unit_id = self.unit.id
            key.unit = self.unit
        elif key.key_class == "public_area":
            key.building_id = self.building_id.data
            key.floor = self.floor.data
        else:
            key.equipment_room = self.equipment_room.data


MAX_QUERY = 100


class ListFilters(FilterForm):
    """A registry list's filters: search, building, floor, status, category, class, page."""

    q = Text(MAX_QUERY, clean=naming.clean)
    building = Number(1, MAX_INT)
    floor = Number(-99, 9999)
    status = Choice(set(vocab.UNIT_STATUSES) | set(vocab.VOCABULARIES["key_status"]))
    category = Choice(vocab.VOCABULARIES["sign_category"])
    key_class = Choice(vocab.VOCABULARIES["key_class"])
    inactive = Flag()
    page = Number(1, 10**6, default=1)


class ActiveForm(Form):
    """Deactivate an item (0) or reactivate it (1)."""

    active = StringField()


class UnitStatusForm(Form):
    """A unit's new status, and the page to go back to."""

    status = Choice(vocab.UNIT_STATUSES)
    next = StringField()


class ImportUploadForm(Form):
    """The file to preview (CSV or XLSX)."""

    file = FileField()


class ImportCommitForm(Form):
    """The previewed file to write, by the token its preview was kept under."""

    token = StringField(default="")
