"""``flask blobs migrate``: the blob folder copied into the bucket, verified, idempotent and
resumable, with a dry run that counts (moto's S3 in server mode)."""

from __future__ import annotations

import pytest

from sync import blobs
from tests.conftest import make_test_app

FILES = {
    "ab/cd/abcd" + "0" * 60: b"a photo's bytes",
    "12/34/1234" + "0" * 60: b"a signature",
    "jobs/0123/labels.pdf": b"%PDF-1.7 " + bytes(range(256)) * 400,  # 100 KB
}


@pytest.fixture
def on_s3(database_url, instance_dir, _migrated, s3_env, tmp_path):
    """An app told to keep blobs in the bucket, its former folder still full."""
    folder = blobs.FileStore(tmp_path / "blobs")
    for key, data in FILES.items():
        folder.put(key, data)
    app = make_test_app(database_url, instance_dir, BLOB_DIR=str(folder.root), **s3_env)
    return app, folder, blobs.from_config(app.config)


def test_a_dry_run_counts_and_copies_nothing(on_s3):
    app, _folder, bucket = on_s3
    done = app.test_cli_runner().invoke(args=["blobs", "migrate", "--dry-run"])
    assert done.exit_code == 0, done.output
    assert "Would copy 3 blobs (100 KB); 0 already in the bucket." in done.output
    assert list(bucket.iter_keys()) == []


def test_the_folder_is_copied_verified_and_a_second_run_copies_only_what_is_missing(on_s3):
    """Is every file copied byte for byte (the folder left as it was), and does a run after
    an interruption copy only what is missing or differs — an object with other bytes under
    the same key replaced?"""
    app, folder, bucket = on_s3
    runner = app.test_cli_runner()
    done = runner.invoke(args=["blobs", "migrate"])
    assert done.exit_code == 0, done.output
    assert "Copied 3 blobs" in done.output and "0 already in the bucket" in done.output
    assert {key: bucket.get(key) for key in bucket.iter_keys()} == FILES
    assert {key: folder.get(key) for key in folder.iter_keys()} == FILES

    bucket.delete("jobs/0123/labels.pdf")  # as if the first run had stopped before it
    bucket.put("12/34/1234" + "0" * 60, b"torn")
    again = runner.invoke(args=["blobs", "migrate"])
    assert again.exit_code == 0, again.output
    assert "Copied 2 blobs" in again.output and "1 already in the bucket" in again.output
    assert {key: bucket.get(key) for key in bucket.iter_keys()} == FILES


def test_a_copy_the_bucket_does_not_confirm_fails_the_run(on_s3, monkeypatch):
    """If the bucket's checksum of a copy does not match the file, is that blob named and the
    command's exit status a failure (run it again)?"""
    app, _folder, bucket = on_s3
    monkeypatch.setattr(type(bucket), "checksum", lambda self, key: None)
    done = app.test_cli_runner().invoke(args=["blobs", "migrate"])
    assert done.exit_code != 0
    assert "3 blobs did not copy whole" in done.output


def test_migrate_wants_a_bucket(app):
    done = app.test_cli_runner().invoke(args=["blobs", "migrate"])
    assert done.exit_code != 0 and "BLOB_STORE is not s3" in done.output
