"""Renovation from permit to acceptance (issue 20): the permits register, a unit's 裝修中 from
its permits, rectification notices made on the phone and printed at the office."""

from __future__ import annotations

from sync import acceptance
from sync.pull import register_loader
from webapp import vocab
from webapp.registry import changes
from webapp.registry.views.imports import register_import
from webapp.renovation import followup, permits, transfer  # noqa: F401 (followup: its routes)
from webapp.renovation.pulled import load_acceptances, load_notices, load_permits


def init_app(app) -> None:
    """Plug the register into the areas that do not import it: the sync pull sends a unit's
    permits, notices and acceptances (change types ``permit``, ``notice``, ``acceptance``), a
    passed acceptance synced closes its permit by the register's own write, the registry's
    import screens take permit files, and its status menu closes a unit's permits to leave
    裝修中."""
    register_loader("permit", load_permits)
    register_loader("notice", load_notices)
    register_loader("acceptance", load_acceptances)
    acceptance.ACCEPT["accept"] = permits.accept
    # The phone's acceptance form (templates/pwa/_phone.html): the checklist it answers.
    version = vocab.ACCEPTANCE_CHECKLIST_VERSION
    checklist = {"version": version, "items": vocab.ACCEPTANCE_CHECKLISTS[version]}
    app.add_template_global(checklist, "acceptance_checklist")
    register_import("permits", transfer, "renovation.permits")
    changes.LEAVE_RENOVATION["leave"] = permits.leave_renovation
