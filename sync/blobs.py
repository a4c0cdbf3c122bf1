"""Where stored files live: photos, and what jobs make (label sheets, exports, reports).

One small interface, ``BlobStore``: bytes in and out by a key such as
``ab/cd/abcd…`` (a photo, by its sha256) or ``jobs/<id>/labels.pdf`` (a job's output). Today
the files sit in a folder (``FileStore``, ``BLOB_DIR``); an object store (S3 and the like) is
one more class with the same five methods, chosen in ``from_config``. Keys are paths of plain
segments (letters, digits, ``.``, ``_``, ``-``) so they mean the same in a folder and a bucket.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")


class BlobStore(Protocol):
    """Bytes kept by key. ``put`` is atomic: a reader sees the old bytes or the new, never half."""

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def delete_prefix(self, prefix: str) -> None: ...


def check_key(key: str) -> str:
    """The key itself, or ValueError if it is not plain segments joined by ``/``."""
    parts = key.split("/")
    if not key or not all(_SEGMENT.match(part) for part in parts):
        raise ValueError(f"not a blob key: {key!r}")
    return key


class FileStore:
    """Blobs as files under one folder, a key's segments as its sub-folders."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """The file of a key (for readers that need a path, e.g. a PDF writer's images)."""
        return self.root.joinpath(*check_key(key).split("/"))

    def put(self, key: str, data: bytes) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees half a file, a crash leaves no torn one.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".up-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes | None:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        """Every blob whose key starts with this folder (``jobs/<id>``)."""
        shutil.rmtree(self.path(prefix), ignore_errors=True)


def as_store(where: BlobStore | str | os.PathLike) -> BlobStore:
    """A store for a folder path, or the store itself."""
    return FileStore(where) if isinstance(where, (str, os.PathLike)) else where


def from_config(config: Mapping) -> BlobStore:
    """The app's store (``BLOB_DIR`` today; an object store is chosen here when one exists)."""
    return FileStore(config["BLOB_DIR"])
