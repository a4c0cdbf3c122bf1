"""Background jobs on huey: label sheets, the nightly key-chain check, the weekly purges.

``engine.py`` is the engine (jobs as rows, claimed, leased, retried, scheduled once per slot),
``queue.py`` what it asks of huey (the queue, its schedule, the consumer), ``cli.py`` the
``flask jobs`` commands, ``housekeeping.py`` the engine's own periodic work. docs/jobs.md
explains the design; docs/decisions.md 20 why huey.
"""
