"""Restricted files deleted, replaced or corrupted while they are being served."""

from __future__ import annotations

import os
import threading

import pytest

from tests.conftest import TEST_PASSWORD
from tests.security.helpers import copy_restricted

PAGE_SOURCE = "clients/fluent-boards.md"
PAGE = "/members/clients/fluent-boards"
FILE_SOURCE = "files/forms/plugin-setup-form.docx"
FILE = "/members/files/forms/plugin-setup-form.docx"


@pytest.fixture
def content(app_config, tmp_path):
    """A writable copy of restricted/ (request it before ``app``)."""
    root = copy_restricted(tmp_path / "restricted")
    app_config["RESTRICTED_DIR"] = str(root)
    return root


@pytest.fixture
def staff(content, app, make_user, login_as):
    client = app.test_client()
    login_as(client, make_user("boss@example.org", role="staff", password=TEST_PASSWORD))
    return client


@pytest.fixture
def big_file(content):
    """Make the download 4 MB so that it is streamed in many blocks."""
    data = os.urandom(4 * 1024 * 1024)
    (content / FILE_SOURCE).write_bytes(data)
    return data


def _stream(client, path):
    response = client.get(path, buffered=False)
    assert response.status_code == 200
    chunks = iter(response.response)
    return response, chunks


@pytest.mark.asvs("16.5.3")
@pytest.mark.parametrize("change", ["delete", "replace"])
def test_a_download_changed_mid_stream_finishes_with_the_file_it_started(content, staff,
                                                                          big_file, change):
    response, chunks = _stream(staff, FILE)
    first = next(chunks)
    target = content / FILE_SOURCE
    if change == "delete":
        target.unlink()
    else:  # a deploy replaces the file atomically with a new version
        fresh = target.with_suffix(".new")
        fresh.write_bytes(b"new version")
        os.replace(fresh, target)
    body = first + b"".join(chunks)
    response.close()
    assert body == big_file, "the open file is served whole, never a mix of versions"
    after = staff.get(FILE)
    if change == "delete":
        assert after.status_code == 404
    else:
        assert after.status_code == 200 and after.get_data() == b"new version"


@pytest.mark.asvs("16.5.3")
def test_a_download_truncated_in_place_mid_stream_ends_without_a_crash(content, staff,
                                                                       big_file):
    response, chunks = _stream(staff, FILE)
    next(chunks)
    with open(content / FILE_SOURCE, "r+b") as handle:
        handle.truncate(1000)
    rest = b"".join(chunks)  # short, never an exception out of the app
    response.close()
    assert len(rest) < len(big_file)
    assert staff.get(FILE).get_data() == big_file[:1000]
    assert staff.get(PAGE).status_code == 200


@pytest.mark.asvs("16.5.3")
@pytest.mark.parametrize(
    "corrupt",
    [pytest.param(lambda p: p.write_bytes(b"---\ntitle: x\n---\n\xff\xfe\xfa"), id="bad-utf8"),
     pytest.param(lambda p: p.write_bytes(p.read_bytes()[:7]), id="truncated"),
     pytest.param(lambda p: p.unlink(), id="deleted"),
     pytest.param(lambda p: p.write_bytes(b"\x00" * 4096), id="zeroed")],
)
def test_a_page_corrupted_between_reads_is_a_clean_error_then_recovers(content, staff,
                                                                       corrupt):
    source = content / PAGE_SOURCE
    original = source.read_bytes()
    assert staff.get(PAGE).status_code == 200  # rendered and cached
    corrupt(source)
    broken = staff.get(PAGE, headers={"Accept": "text/html"})
    assert broken.status_code in (404, 503)
    assert b"Traceback" not in broken.get_data()
    assert staff.get("/members/clients/timely-time-reports").status_code == 200
    source.write_bytes(original)
    assert staff.get(PAGE).status_code == 200, "the fixed page is served again, no restart"


@pytest.mark.asvs("16.5.3")
def test_a_page_rewritten_while_it_is_being_read_never_gives_a_5xx(content, staff):
    source = content / PAGE_SOURCE
    good = source.read_bytes()
    bad = b"---\ntitle: [broken\n---\n\xff"
    stop = threading.Event()

    def rewrite() -> None:
        flip = False
        while not stop.is_set():
            flip = not flip
            temporary = source.with_suffix(".tmp")
            temporary.write_bytes(good if flip else bad)
            os.replace(temporary, source)
            with open(source, "r+b") as handle:  # and in place, half-written
                handle.write((bad if flip else good)[:10])

    writer = threading.Thread(target=rewrite, daemon=True)
    writer.start()
    try:
        statuses = {staff.get(PAGE).status_code for _ in range(60)}
    finally:
        stop.set()
        writer.join(5)
    assert statuses <= {200, 404, 503}, statuses
    source.write_bytes(good)
    assert staff.get(PAGE).status_code == 200
