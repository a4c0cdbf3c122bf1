"""Alerts: events people should be told of, recorded once per event (``events.record``).

Today events are recorded and kept (``alert_event``); sending them to the people who can act
(Web Push, email, the in-app bell, per-user choices and quiet hours) is issue #21 items 2–4,
built as jobs of the engine (webapp/jobs): one job per event and recipient, keyed so that an
event is never sent twice.
"""
