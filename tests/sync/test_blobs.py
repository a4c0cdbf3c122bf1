"""The blob store (sync/blobs.py): one interface for photos and what jobs make, kept in a
folder or in an S3-compatible bucket (moto in server mode here) alike."""

from __future__ import annotations

import hashlib
import io

import pytest

from sync import blobs
from sync.photos import blob_path, photo_key


@pytest.fixture(params=["folder", "s3"])
def store(request, tmp_path):
    """Each store the app can be given, empty."""
    if request.param == "folder":
        return blobs.FileStore(tmp_path)
    config = {"BLOB_DIR": str(tmp_path), **request.getfixturevalue("s3_env")}
    return blobs.from_config(config)


def test_a_store_keeps_bytes_by_key_and_forgets_a_job_folder(store):
    """Are bytes put under a key read back (whole and streamed), listed, replaced whole, and
    gone after delete_prefix — another job's files kept?"""
    store.put("jobs/abc/labels.pdf", b"%PDF-1")
    store.put("jobs/abc/preview.png", io.BytesIO(b"png"))  # a file, streamed in
    store.put("jobs/other/labels.pdf", b"keep")
    assert store.get("jobs/abc/labels.pdf") == b"%PDF-1" and store.exists("jobs/abc/preview.png")
    with store.open("jobs/abc/preview.png") as fh:
        assert fh.read(2) + fh.read() == b"png"
    assert list(store.iter_keys("jobs")) == [
        "jobs/abc/labels.pdf",
        "jobs/abc/preview.png",
        "jobs/other/labels.pdf",
    ]
    store.put("jobs/abc/labels.pdf", b"%PDF-2")  # replaced whole
    assert store.get("jobs/abc/labels.pdf") == b"%PDF-2"
    assert store.checksum("jobs/abc/labels.pdf") == hashlib.sha256(b"%PDF-2").hexdigest()
    store.delete_prefix("jobs/abc")
    assert store.get("jobs/abc/labels.pdf") is None and not store.exists("jobs/abc/preview.png")
    assert store.open("jobs/abc/labels.pdf") is None and store.checksum("jobs/abc/x") is None
    assert store.get("jobs/other/labels.pdf") == b"keep"
    store.delete("jobs/other/labels.pdf")
    assert list(store.iter_keys()) == []
    store.check()  # the store answers (/healthz's probe)


def test_a_folder_store_leaves_no_half_written_file(tmp_path):
    """Is no temporary file left, and none listed as a key while it is written?"""
    store = blobs.FileStore(tmp_path)
    store.put("ab/cd/x", b"x" * 1000)
    (tmp_path / "ab" / "cd" / ".up-half").write_bytes(b"half")
    assert list(store.iter_keys()) == ["ab/cd/x"]
    assert [p.name for p in tmp_path.rglob(".up-*")] == [".up-half"]


def test_a_bucket_keeps_each_objects_sha256(s3_env, tmp_path):
    """Does each object carry its sha256 as S3's own checksum and as metadata, under the
    configured prefix (one bucket may hold several deployments)?"""
    store = blobs.from_config({"BLOB_DIR": str(tmp_path), **s3_env})
    store.put("ab/cd/photo", b"bytes of a photo")
    head = store.client.head_object(
        Bucket=store.bucket, Key=f"{s3_env['S3_PREFIX']}/ab/cd/photo", ChecksumMode="ENABLED"
    )
    digest = hashlib.sha256(b"bytes of a photo").hexdigest()
    assert head["Metadata"] == {"sha256": digest}
    assert store.checksum("ab/cd/photo") == digest
    assert blobs.from_config({"BLOB_DIR": str(tmp_path), **s3_env}) is store  # one client


@pytest.mark.parametrize("key", ["", "/etc/passwd", "jobs/../secret", "jobs//x", "a/.hidden", "ü"])
def test_a_key_that_could_leave_the_folder_is_refused(tmp_path, key):
    """Is a key that is not plain segments (absolute, .., empty, hidden) refused?"""
    with pytest.raises(ValueError):
        blobs.FileStore(tmp_path).put(key, b"x")


def test_photos_keep_their_folder_layout(tmp_path):
    """Does a photo's key map to the same file as before the store (ab/cd/<sha>)?"""
    sha = "ab" + "cd" + "e" * 60
    assert photo_key(sha) == f"ab/cd/{sha}"
    assert blob_path(tmp_path, sha) == tmp_path / "ab" / "cd" / sha
