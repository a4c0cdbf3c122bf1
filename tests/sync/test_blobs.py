"""The blob store (sync/blobs.py): one interface for photos and what jobs make."""

from __future__ import annotations

import pytest

from sync import blobs
from sync.photos import blob_path, photo_key


def test_a_file_store_keeps_bytes_by_key_and_forgets_a_job_folder(tmp_path):
    """Are bytes put under a key read back, listed as existing, and gone after delete_prefix?"""
    store = blobs.FileStore(tmp_path)
    store.put("jobs/abc/labels.pdf", b"%PDF-1")
    store.put("jobs/abc/preview.png", b"png")
    store.put("jobs/other/labels.pdf", b"keep")
    assert store.get("jobs/abc/labels.pdf") == b"%PDF-1" and store.exists("jobs/abc/preview.png")
    store.put("jobs/abc/labels.pdf", b"%PDF-2")  # replaced whole
    assert store.get("jobs/abc/labels.pdf") == b"%PDF-2"
    store.delete_prefix("jobs/abc")
    assert store.get("jobs/abc/labels.pdf") is None and not store.exists("jobs/abc/preview.png")
    assert store.get("jobs/other/labels.pdf") == b"keep"
    assert [p.name for p in tmp_path.rglob(".up-*")] == []  # no temp file left behind


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
