"""Where stored files live: photos, signatures, and what jobs make (label sheets, exports).

One small interface, ``BlobStore``: bytes in and out by a key such as ``ab/cd/abcd…`` (a photo,
by its sha256) or ``jobs/<id>/labels.pdf`` (a job's output). Two stores hold it: a folder
(``FileStore``, ``BLOB_DIR``, the default) and an S3-compatible bucket (``S3Store``,
``BLOB_STORE=s3``), chosen in ``from_config``. Keys are paths of plain segments (letters,
digits, ``.``, ``_``, ``-``) so they mean the same in a folder and a bucket.

Reads stream (``open`` gives a file-like object read in chunks; ``get`` is for small files
whole), writes take bytes or a binary file, and each store can tell the sha256 of what it
holds (``checksum``), which the migration from folder to bucket and the backup verify against.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
CHUNK = 64 * 1024


class BlobStore(Protocol):
    """Bytes kept by key. ``put`` is atomic: a reader sees the old bytes or the new, never half."""

    where: str  # what it is, for logs and the CLI (never a credential)
    # checksum() reads a kept value (a bucket's), not the bytes again (a folder's files)
    keeps_checksums: bool

    def put(self, key: str, data: bytes | BinaryIO) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def open(self, key: str) -> BinaryIO | None: ...

    def exists(self, key: str) -> bool: ...

    def checksum(self, key: str) -> str | None: ...

    def iter_keys(self, prefix: str = "") -> Iterator[str]: ...

    def delete(self, key: str) -> None: ...

    def delete_prefix(self, prefix: str) -> None: ...

    def check(self) -> None: ...


def check_key(key: str) -> str:
    """The key itself, or ValueError if it is not plain segments joined by ``/``."""
    parts = key.split("/")
    if not key or not all(_SEGMENT.match(part) for part in parts):
        raise ValueError(f"not a blob key: {key!r}")
    return key


def is_key(key: str) -> bool:
    try:
        check_key(key)
    except ValueError:
        return False
    return True


def sha256_of(data: bytes | BinaryIO) -> str:
    """The sha256 (hex) of bytes, or of a file read from where it stands to its end (in
    chunks; the file is put back where it was)."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return hashlib.sha256(data).hexdigest()
    start = data.tell()
    digest = hashlib.sha256()
    for chunk in iter(lambda: data.read(CHUNK), b""):
        digest.update(chunk)
    data.seek(start)
    return digest.hexdigest()


def chunks(fh: BinaryIO) -> Iterator[bytes]:
    """A stored file's bytes in chunks, the file closed at the end (or when dropped)."""
    try:
        yield from iter(lambda: fh.read(CHUNK), b"")
    finally:
        fh.close()


class FileStore:
    """Blobs as files under one folder, a key's segments as its sub-folders."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.where = f"folder {self.root}"
        self.keeps_checksums = False

    def path(self, key: str) -> Path:
        """The file of a key (for tests and the folder's own upkeep)."""
        return self.root.joinpath(*check_key(key).split("/"))

    def put(self, key: str, data: bytes | BinaryIO) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees half a file, a crash leaves no torn one.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".up-")
        try:
            with os.fdopen(fd, "wb") as fh:
                if isinstance(data, (bytes, bytearray, memoryview)):
                    fh.write(data)
                else:
                    shutil.copyfileobj(data, fh, CHUNK)
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

    def open(self, key: str) -> BinaryIO | None:
        try:
            return self.path(key).open("rb")
        except (FileNotFoundError, IsADirectoryError):
            return None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def checksum(self, key: str) -> str | None:
        fh = self.open(key)
        if fh is None:
            return None
        with fh:
            return sha256_of(fh)

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Every key under ``prefix`` (a folder, or all), sorted; half-written files are not."""
        base = self.path(prefix) if prefix else self.root
        if not base.is_dir():
            return
        for path in sorted(base.rglob("*")):
            key = path.relative_to(self.root).as_posix()
            if path.is_file() and is_key(key):
                yield key

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        """Every blob whose key starts with this folder (``jobs/<id>``)."""
        shutil.rmtree(self.path(prefix), ignore_errors=True)

    def check(self) -> None:
        if not self.root.is_dir():
            raise FileNotFoundError(self.root)


class S3Store:
    """Blobs as objects of one bucket (S3, MinIO, Ceph, moto…), under an optional prefix.

    Credentials come from boto3's usual chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``,
    ``AWS_PROFILE``, an instance role), never from Rounds' settings. Each object carries its
    sha256 twice: as S3's own checksum (``x-amz-checksum-sha256``, which S3 verifies on
    arrival) and as user metadata (``sha256``, for servers without checksums)."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        prefix: str = "",
        client=None,
    ):
        self.bucket = bucket
        self.prefix = f"{check_key(prefix)}/" if prefix else ""
        self.client = client or boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=BotoConfig(
                connect_timeout=3,
                read_timeout=20,
                retries={"max_attempts": 3, "mode": "standard"},
                s3={"addressing_style": "path"} if endpoint_url else None,
            ),
        )
        self.where = f"s3://{bucket}/{self.prefix}" + (
            f" at {endpoint_url}" if endpoint_url else ""
        )

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, data: bytes | BinaryIO) -> None:
        name = self._name(key)
        digest = sha256_of(data)
        if isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
        self.client.put_object(
            Bucket=self.bucket,
            Key=name,
            Body=data,
            ChecksumAlgorithm="SHA256",
            ChecksumSHA256=base64.b64encode(bytes.fromhex(digest)).decode(),
            Metadata={"sha256": digest},
        )

    def open(self, key: str) -> BinaryIO | None:
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        return found["Body"]  # a StreamingBody: read(n) in chunks, close()

    def get(self, key: str) -> bytes | None:
        body = self.open(key)
        if body is None:
            return None
        with body:
            return body.read()

    def _head(self, key: str) -> dict | None:
        try:
            return self.client.head_object(
                Bucket=self.bucket, Key=self._name(key), ChecksumMode="ENABLED"
            )
        except ClientError as exc:
            if _missing(exc):
                return None
            raise

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def checksum(self, key: str) -> str | None:
        head = self._head(key)
        if head is None:
            return None
        if head.get("ChecksumSHA256") and head.get("ChecksumType", "FULL_OBJECT") == "FULL_OBJECT":
            return base64.b64decode(head["ChecksumSHA256"]).hex()
        return (head.get("Metadata") or {}).get("sha256")

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        start = self.prefix + (f"{check_key(prefix)}/" if prefix else "")
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=start
        )
        for page in pages:
            for item in page.get("Contents", ()):
                key = item["Key"][len(self.prefix) :]
                if is_key(key):
                    yield key

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def delete_prefix(self, prefix: str) -> None:
        batch: list[dict] = []
        for key in self.iter_keys(prefix):
            batch.append({"Key": self._name(key)})
            if len(batch) == 1000:  # S3's most per call
                self._delete(batch)
                batch = []
        if batch:
            self._delete(batch)

    def _delete(self, batch: list[dict]) -> None:
        self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})

    def check(self) -> None:
        """The bucket answers and these credentials may use it (/healthz's "objects")."""
        self.client.head_bucket(Bucket=self.bucket)


def _missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


@dataclass(frozen=True)
class Ref:
    """A blob to read later (a printed form's photos, read one at a time as it is drawn)."""

    store: BlobStore
    key: str

    def read(self) -> bytes | None:
        return self.store.get(self.key)


def as_store(where: BlobStore | str | os.PathLike) -> BlobStore:
    """A store for a folder path, or the store itself."""
    return FileStore(where) if isinstance(where, (str, os.PathLike)) else where


_s3_stores: dict[tuple, S3Store] = {}
_s3_lock = threading.Lock()


def from_config(config: Mapping) -> BlobStore:
    """The app's store: the bucket when ``BLOB_STORE`` is ``s3``, else the folder ``BLOB_DIR``.
    One S3 client per bucket and process (boto3's clients are thread-safe and slow to make)."""
    if config.get("BLOB_STORE", "folder") != "s3":
        return FileStore(config["BLOB_DIR"])
    where = (
        config["S3_BUCKET"],
        config.get("S3_ENDPOINT_URL"),
        config.get("S3_REGION"),
        config.get("S3_PREFIX") or "",
    )
    with _s3_lock:
        if where not in _s3_stores:
            bucket, endpoint_url, region, prefix = where
            _s3_stores[where] = S3Store(
                bucket, endpoint_url=endpoint_url, region=region, prefix=prefix
            )
        return _s3_stores[where]
