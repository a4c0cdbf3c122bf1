"""`flask labels`: print an estate's label sheet, one label, or reprint a label with a new code."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from webapp.cliargs import resolve_estate
from webapp.extensions import db
from webapp.labels import codes, fonts, printing, sheets
from webapp.text import too_long


def _fail(message: str) -> click.ClickException:
    return click.ClickException(message)


@click.command("labels")
@click.option("--estate", help="Estate id or name.")
@click.option("--kind", help="unit, key or sign.")
@click.option("--building", help="Only this building (id or name, e.g. 3棟).")
@click.option("--floor", type=int, help="Only this floor.")
@click.option("--template", help="address-24, key-tag or sign-large (default: by kind).")
@click.option("--skip", type=int, default=0, show_default=True, help="Used positions to leave.")
@click.option("--code", "one_code", help="Print one label: the item with this active code.")
@click.option("--reprint", help="Retire this code, mint a new one and print that label.")
@click.option("--reason", default=codes.REPRINTED, show_default=True, help="Why, for --reprint.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True)
@click.option("--workers", type=click.IntRange(1, 64), help="Processes drawing pages.")
@with_appcontext
def labels(estate, kind, building, floor, template, skip, one_code, reprint, reason, out, workers):
    """Print an A4 label sheet of items' active codes, or reprint one label."""

    base_url = current_app.config["PUBLIC_BASE_URL"]
    try:
        fonts.check()
        if reprint or one_code:
            if reprint and one_code:
                raise _fail("give --reprint CODE or --code CODE, not both")
            if estate or kind or building or floor is not None:
                raise _fail(
                    "--estate, --kind, --building and --floor choose a sheet; "
                    "a single label is chosen by its code alone"
                )
            if too_long(reason, codes.MAX_REASON):
                raise _fail(f"--reason has at most {codes.MAX_REASON} characters")
            ref = reprint or one_code
            found = codes.find_code(db.session, ref)
            if found is None:
                raise _fail(f"unknown code {ref!r}: give the long code from the label's QR URL")
            template_name = template or printing.default_template(found.item_type)
            sheets.check_skip(sheets.get_template(template_name), skip)
            if reprint:
                if not found.active:
                    current = codes.current_code(db.session, found)
                    raise _fail(
                        f"code {found.code} was already retired; its item's code now is "
                        f"{current.code}"
                    )
                printed = codes.retire_and_replace(db.session, found, reason)
            else:
                if not found.active:
                    current = codes.current_code(db.session, found)
                    raise _fail(
                        f"code {found.code} is retired; print its item's active code "
                        f"{current.code}, or --reprint that to replace it"
                    )
                printed = found
            data = [printing.one_label(db.session, printed, base_url)]
            sheets.write_pdf(data, template_name, out, skip=skip)
            db.session.commit()
            if reprint:
                click.echo(
                    f"Retired {found.code}; new code {printed.code} "
                    f"({sheets.group_short_code(printed.short_code)}) printed to {out}."
                )
            else:
                click.echo(f"Printed 1 label ({printed.code}) to {out}.")
            return

        if not estate or not kind:
            raise _fail("give --estate and --kind (or --reprint CODE / --code CODE)")
        chosen = resolve_estate(estate)
        printing.check_kind(kind)
        template_name = template or printing.default_template(kind)
        sheets.check_skip(sheets.get_template(template_name), skip)
        selection = printing.Selection(chosen, kind)
        if building:
            selection.building = printing.find_building(db.session, chosen, building)
        if floor is not None:
            selection.floor = floor
        sheet = printing.prepare_sheet(db.session, selection, base_url)
        db.session.commit()
        pages = sheets.write_pdf(
            sheet.labels, template_name, out, skip=skip, workers=workers or sheets.default_workers()
        )
    except (sheets.LabelError, fonts.LabelFontMissing, ValueError) as exc:
        db.session.rollback()
        raise _fail(str(exc)) from None
    except OSError as exc:
        db.session.rollback()
        raise _fail(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(
        f"{len(sheet.labels)} {kind} labels on {pages} {template_name} page(s) to {out}"
        f" ({sheet.reused} active codes reused, {sheet.minted} minted)."
    )
