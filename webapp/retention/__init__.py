"""Retention: the operational rows that would grow for ever are deleted once past their period;
what the product recorded is never deleted.

Every table is in exactly one of the three lists below (tests/webapp/retention checks it
against the schema, so a new table needs a decision). ``purge.py`` holds the rules and the
batched delete, ``jobs.py`` the daily job (``retention.purge``, 04:45 estate time), ``cli.py``
``flask retention purge [--dry-run]``. docs/retention.md gives the reasons.
"""

from __future__ import annotations

# Deleted here once past their period (webapp/retention/purge.py, in this order).
PURGED = (
    "alert_delivery",  # a person's alert on a channel: read, sent or given up
    "alert_event",  # once it has no delivery left (never a broken key chain's)
    "alert_digest",  # a digest's numbers (its files went with their job after 35 days)
    "push_subscription",  # a browser signed out: never sent to again
    "user_session",  # a login ended or expired
)

# Deleted by a job of their own.
PURGED_ELSEWHERE = {
    "job": "jobs.purge (daily): finished jobs after their kind's keep",
    "sync_change": "sync.purge_tombstones (weekly): deletions after TOMBSTONE_RETENTION_DAYS",
}

# Never deleted by any job: what was recorded (the promise is that nothing recorded is lost),
# what those records name, and the settings people chose.
KEPT = (
    # What patrols, the desk and supervisors recorded, and the trail of it.
    "check_record",
    "finding",
    "finding_state",
    "finding_event",
    "key_event",
    "key_baseline",
    "key_approval",
    "key_resolution",
    "key_request",
    "key_copy",
    "sync_op",
    "sync_quarantine",
    "photo_blob",
    "photo_uploader",
    "photo_link",
    "audit_event",
    "desk_handover",
    "desk_item",
    "desk_item_event",
    "renovation_permit",
    "renovation_deposit_entry",
    "rectification_notice",
    "notice_action",
    "reinspection",
    "stop_work",
    "acceptance",
    "acceptance_signature",
    "round_window",  # the checkpoints a window was due to visit: what coverage is judged on
    # What the records name: places, items, codes, rounds, people and their phones (a
    # revoked device still names the phone each of its records came from).
    "estate",
    "building",
    "unit",
    "sign",
    "key",
    "label_code",
    "round_template",
    "round_checklist",
    "user",
    "user_estate",
    "device",
    # Settings and counters: one row per person, or a handful.
    "alert_preference",
    "notice_counter",
    "sync_counter",
)
