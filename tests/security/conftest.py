"""The security suite builds on the governance personas and worlds (pilots, shortlists)."""

from tests.governance.conftest import *  # noqa: F403


def pytest_terminal_summary(terminalreporter) -> None:
    """Say how big the access matrix was whenever it ran (CI's log keeps the figure)."""
    import sys

    matrix = sys.modules.get("tests.security.test_access_matrix")
    if matrix is not None:
        terminalreporter.write_line(matrix.matrix_size())
