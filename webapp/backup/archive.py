"""Back up and restore everything Rounds keeps: the database and the blobs.

A backup is a folder: the database (``rounds.db``, a SQLite copy made with SQLite's online
backup API, safe while the app writes; or ``rounds.dump``, ``pg_dump`` custom format), every
blob under ``blobs/`` (photos, signatures and job output, read through the blob store: from
the folder, or from the bucket when BLOB_STORE=s3), and ``manifest.json`` written
last: the row count of every table, read in the same snapshot as the copy, and the size and
SHA-256 of every file. A folder without a manifest is not a backup.

A restore checks every checksum before it touches anything, refuses a database that holds data
unless forced, puts the database back (the backup API again, or ``pg_restore``), copies the
blobs, and recounts every table against the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from sync.blobs import BlobStore, as_store

MANIFEST = "manifest.json"
FORMAT = 1
SQLITE_FILE = "rounds.db"
PG_FILE = "rounds.dump"
BLOBS = "blobs"
CHUNK = 1024 * 1024
VERSION_TABLE = "alembic_version"


class BackupError(RuntimeError):
    """The backup or restore cannot go on; the message says why and what to do."""


@dataclass
class Result:
    """What a backup or a restore did, for the command to report."""

    manifest: dict
    counts: dict[str, int]

    @property
    def rows(self) -> int:
        return sum(n for table, n in self.counts.items() if table != VERSION_TABLE)

    @property
    def blob_count(self) -> int:
        return self.manifest["blobs"]["count"]

    @property
    def blob_bytes(self) -> int:
        return self.manifest["blobs"]["bytes"]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _file_entry(path: Path) -> dict:
    return {"bytes": path.stat().st_size, "sha256": sha256_of(path)}


# ---------------------------------------------------------------- counting


def table_counts(conn: sa.Connection) -> dict[str, int]:
    """Rows of every table of the default schema (Alembic's version table included)."""
    names = sorted(sa.inspect(conn).get_table_names())
    return {
        name: conn.scalar(sa.select(sa.func.count()).select_from(sa.table(name))) for name in names
    }


def _sqlite_counts(path: Path) -> tuple[dict[str, int], str | None]:
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            counts = table_counts(conn)
            return counts, _revision(conn, counts)
    finally:
        engine.dispose()


def _revision(conn: sa.Connection, counts: dict[str, int]) -> str | None:
    if VERSION_TABLE not in counts:
        return None
    return conn.scalar(sa.select(sa.column("version_num")).select_from(sa.table(VERSION_TABLE)))


def holds_data(engine: sa.Engine) -> bool:
    """Tell whether any table (but Alembic's version) has a row: an empty schema is empty."""
    with engine.connect() as conn:
        counts = table_counts(conn)
    return any(n for table, n in counts.items() if table != VERSION_TABLE)


# ---------------------------------------------------------------- PostgreSQL tools


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} not found: install the PostgreSQL client tools of the server's major "
            "version or newer (Debian: postgresql-client-15)"
        )
    return found


def _libpq(url: sa.URL) -> tuple[str, dict[str, str]]:
    """The URL as libpq takes it, and an environment carrying the password (never on the
    command line, where any user of the machine can read it)."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = sa.URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        tool = Path(command[0]).name
        raise BackupError(f"{tool} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")


# ---------------------------------------------------------------- backup


def _ready_destination(dest: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} is not an empty folder: back up into a new one")
    dest.mkdir(parents=True, exist_ok=True)


def _backup_sqlite(engine: sa.Engine, dest: Path) -> tuple[dict, dict[str, int]]:
    source = engine.url.database
    if not source or source == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    target = dest / SQLITE_FILE
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        # Page by page, consistent while other connections write (SQLite's online backup).
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    counts, revision = _sqlite_counts(target)  # counted in the copy itself
    return {"dialect": "sqlite", "file": SQLITE_FILE, "revision": revision}, counts


def _backup_postgresql(engine: sa.Engine, dest: Path) -> tuple[dict, dict[str, int]]:
    pg_dump = _pg_tool("pg_dump")
    target = dest / PG_FILE
    url, env = _libpq(engine.url)
    conn = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    with conn, conn.begin():
        # The counts and pg_dump read one snapshot: the manifest is what the dump holds,
        # however busy the database is meanwhile.
        snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
        counts = table_counts(conn)
        revision = _revision(conn, counts)
        _run(
            [
                pg_dump,
                "--format=custom",
                "--no-owner",
                "--no-acl",
                f"--snapshot={snapshot}",
                f"--file={target}",
                url,
            ],
            env,
        )
    return {"dialect": "postgresql", "file": PG_FILE, "revision": revision}, counts


def _copy_blobs(store: BlobStore, dest: Path) -> dict:
    """Every blob of the store (the folder's files or the bucket's objects, streamed) into
    ``dest``, hashed as it is written; a bucket's own checksum must agree."""
    files: dict[str, str] = {}
    total = 0
    for key in store.iter_keys():
        source = store.open(key)
        if source is None:
            continue  # deleted since it was listed (a purged job's output)
        target = dest.joinpath(*key.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with source, target.open("wb") as out:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
        files[key] = digest.hexdigest()
        if store.keeps_checksums and store.checksum(key) not in (None, files[key]):
            raise BackupError(f"blob {key} does not match its stored checksum: back up again")
        total += target.stat().st_size
    return {"count": len(files), "bytes": total, "files": files, "store": store.where}


def backup(
    engine: sa.Engine, blobs: BlobStore | Path, dest: Path, now: datetime | None = None
) -> Result:
    """Back up the database and the blobs (folder or bucket) into the empty folder ``dest``."""
    _ready_destination(dest)
    if engine.dialect.name == "sqlite":
        database, counts = _backup_sqlite(engine, dest)
    elif engine.dialect.name == "postgresql":
        database, counts = _backup_postgresql(engine, dest)
    else:
        raise BackupError(f"no backup for {engine.dialect.name} databases")
    database.update(_file_entry(dest / database["file"]))
    manifest = {
        "format": FORMAT,
        "app": "rounds",
        "created_at": (now or datetime.now(UTC)).isoformat(),
        "database": database,
        "tables": counts,
        "blobs": _copy_blobs(as_store(blobs), dest / BLOBS),
    }
    partial = dest / f".{MANIFEST}.part"
    partial.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    partial.replace(dest / MANIFEST)  # last, whole: a folder with a manifest is complete
    return Result(manifest, counts)


# ---------------------------------------------------------------- restore


def read_manifest(src: Path) -> dict:
    """The backup's manifest, after checking every file against its size and checksum."""
    path = src / MANIFEST
    if not path.is_file():
        raise BackupError(f"{src} holds no {MANIFEST}: not a complete backup")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BackupError(f"{path} is not valid JSON: {exc}") from None
    if manifest.get("format") != FORMAT or manifest.get("app") != "rounds":
        raise BackupError(f"{path} is not a Rounds backup of format {FORMAT}")
    expected = [(src / manifest["database"]["file"], manifest["database"])]
    expected += [
        (src / BLOBS / relative, {"sha256": digest})
        for relative, digest in manifest["blobs"]["files"].items()
    ]
    for path, entry in expected:
        if not path.is_file():
            raise BackupError(f"{path} is missing from the backup")
        if sha256_of(path) != entry["sha256"]:
            raise BackupError(f"{path} does not match its checksum: the backup is damaged")
    return manifest


def _restore_sqlite(engine: sa.Engine, source: Path) -> None:
    target = engine.url.database
    if not target or target == ":memory:":
        raise BackupError("cannot restore into an in-memory SQLite database")
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # replaces every page of the target, schema and all
    finally:
        dst.close()
        src.close()


def _restore_postgresql(engine: sa.Engine, source: Path) -> None:
    pg_restore = _pg_tool("pg_restore")
    url, env = _libpq(engine.url)
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-acl",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={url}",
            str(source),
        ],
        env,
    )


def _put_blobs_back(src: Path, store: BlobStore, files: dict[str, str]) -> None:
    for key, digest in files.items():
        if store.checksum(key) == digest:
            continue  # content-addressed: the same bytes are already there
        with (src / BLOBS).joinpath(*key.split("/")).open("rb") as fh:
            store.put(key, fh)  # atomic in a folder and a bucket alike


def restore(engine: sa.Engine, blobs: BlobStore | Path, src: Path, force: bool = False) -> Result:
    """Put a backup back: database, then blobs (into the folder or the bucket configured now);
    the counts checked against the manifest."""
    manifest = read_manifest(src)
    dialect = manifest["database"]["dialect"]
    if dialect != engine.dialect.name:
        raise BackupError(
            f"this backup is of a {dialect} database; DATABASE_URL names {engine.dialect.name}"
        )
    if not force and holds_data(engine):
        raise BackupError(
            "the database already holds data: restore into an empty one, or pass --force "
            "to replace it"
        )
    engine.dispose()  # no pooled connection of ours holds the old tables
    source = src / manifest["database"]["file"]
    if dialect == "sqlite":
        _restore_sqlite(engine, source)
    else:
        _restore_postgresql(engine, source)
    engine.dispose()
    _put_blobs_back(src, as_store(blobs), manifest["blobs"]["files"])
    with engine.connect() as conn:
        counts = table_counts(conn)
    wrong = {
        table: (n, counts.get(table))
        for table, n in manifest["tables"].items()
        if counts.get(table) != n
    }
    if wrong:
        raise BackupError(f"restored row counts differ from the manifest: {wrong}")
    return Result(manifest, counts)
