"""Regression: a random Virtuoso password starting with "-" made `kg load --password X` fail in argparse
(about one run in 64 of the remote tests)."""
from testkit.virtuoso import new_password


def test_random_password_never_reads_as_a_flag():
    drawn = [new_password() for _ in range(2000)]  # the old token_urlsafe(12) started with "-" in 1 of 64
    assert not [p for p in drawn if p.startswith("-")]
    assert len(set(drawn)) == len(drawn)
