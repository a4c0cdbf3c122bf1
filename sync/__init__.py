"""The offline-sync protocol and merge: wire schemas, push, pull and photos.

Nothing here imports Flask: every function takes a SQLAlchemy ``Session`` and a ``now``,
and never commits; the caller (webapp/api) owns the transaction.
"""
