"""The offline-sync protocol and merge: wire schemas, op types, push, pull and photos.

What it promises its callers (tests/sync/test_boundary.py checks it):
- no request context: no module here imports ``flask`` or ``flask_login`` (the models it
  reads are Flask-SQLAlchemy's, which need none), so nothing reads a request, the session,
  ``g`` or the current user; push and pull run wherever a ``Session`` does (an app context
  with no request, a CLI command, a test);
- no area of the web app: it imports only the models (``webapp.models``) and leaf modules
  (``webapp.codes``, ``webapp.values``, ``webapp.vocab``); an area that owns a pulled type
  registers its loader at app start (``sync.pull.register_loader``);
- every function takes the ``Session`` (and a ``now`` where time matters) and never commits:
  the caller (webapp/api, the key desk, the quarantine's retry) owns the transaction.
"""
