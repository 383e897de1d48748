"""The ASVS index points at every marked test outside this folder, and at nothing else."""

from __future__ import annotations

import pytest

from tests.security.index import INDEX, marked_tests


@pytest.mark.asvs("index")
def test_the_index_and_the_markers_agree():
    indexed = {test for tests in INDEX.values() for test in tests}
    assert indexed == marked_tests("accounts")
