"""The assessment packet carries the framework coverage table."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from governance.pdf import pdf_text

pytestmark = pytest.mark.django_db


def test_the_assessment_packet_prints_each_frameworks_coverage(
    render_packet_of, approved_assessment, security
):
    paths = sorted((Path(settings.BASE_DIR) / "vendors" / "frameworks").glob("*.json"))
    call_command("load_framework", *map(str, paths), stdout=None)
    packet = render_packet_of("assessment", approved_assessment, security)
    assert packet.status == "ready", packet.error
    with packet.file.open("rb") as handle:
        text = " ".join(pdf_text(handle.read()).split())
    assert "Framework coverage" in text
    assert "ISO/IEC 42001:2023 Annex A" in text and "NIST AI RMF 1.0 subcategories" in text
    # Every item is satisfied: A.6.2.8 (event logs) is covered by audit-log-access (equal).
    assert "A.6.2.8 Event logs recorded and kept covered" in text
    # A.2.2 (the AI policy) has no checklist item: a gap, said so.
    assert "A.2.2 Written AI policy gap" in text
