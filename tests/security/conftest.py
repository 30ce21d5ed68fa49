"""The security suite builds on the governance personas and worlds (pilots, shortlists)."""

from tests.governance.conftest import *  # noqa: F403
