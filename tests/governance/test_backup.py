"""Backup, restore and the verify commands: every file verified, changed or missing.

Backups read the database from outside the test's transaction (pg_dump, SQLite's backup API),
so the backup tests commit their rows (transactional tests).
"""

import hashlib
import json
from datetime import datetime
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from governance.models import Packet
from tests.factories import make_pdf
from tests.governance.tamper import guards_off
from vendors.models import Evidence
from vendors.services.assessments import evidence_add


def _response(assessment, code):
    return assessment.responses.select_related("item").get(item__code=code)


def _run(*args) -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command(*args, stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _overwrite(name: str, data: bytes) -> None:
    """Replace a stored file's bytes (what a person with bucket access might do)."""
    default_storage.delete(name)
    assert default_storage.save(name, make_pdf("x.pdf", data)) == name


@pytest.fixture
def world(assessment, legal, render_packet_of, published, security):
    """Two evidence files (plus the shortlist's own) and two ready packets, stored."""
    evidence = [
        evidence_add(response=_response(assessment, code), uploaded_file=make_pdf(), actor=legal)
        for code in ("data-residency", "training-opt-out")
    ]
    packets = [render_packet_of("shortlist", published, security) for _ in range(2)]
    assert all(p.status == "ready" for p in packets)
    return {"evidence": evidence, "packets": packets}


# --- backup and restore ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_backup_holds_the_database_every_file_and_their_digests(world, tmp_path):
    dest = tmp_path / "backup"
    out, error = _run("backup", str(dest))
    assert error is None
    manifest = json.loads((dest / "manifest.json").read_text())
    stored = {e.file.name for e in Evidence.objects.all()} | {
        p.file.name for p in Packet.objects.filter(status="ready")
    }
    assert {f["name"] for f in manifest["files"]} == stored
    for entry in manifest["files"]:
        data = (dest / "files" / entry["name"]).read_bytes()
        assert (entry["size"], entry["sha256"]) == (len(data), _sha(data))
        with default_storage.open(entry["name"], "rb") as handle:
            assert handle.read() == data
    database = manifest["database"]
    dump = (dest / database["file"]).read_bytes()
    assert database["sha256"] == _sha(dump)
    assert database["engine"] in {"postgresql", "sqlite"}
    assert "governance.0001_initial" in manifest["migrations"]
    assert datetime.fromisoformat(manifest["created_at"]).tzinfo is not None
    assert f"and {len(stored)} files" in out


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_backup_refuses_a_directory_that_is_not_empty(tmp_path):
    (tmp_path / "old.txt").write_text("x")
    _, error = _run("backup", str(tmp_path))
    assert error is not None
    assert "is not empty" in str(error)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_restore_refuses_a_target_that_is_not_empty_unless_forced(world, tmp_path):
    _run("backup", str(tmp_path / "b"))
    _, error = _run("restore", str(tmp_path / "b"))
    assert error is not None
    assert "The target is not empty (the database has" in str(error)
    assert "without --force" in str(error)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_restore_checks_every_digest_before_writing_anything(world, tmp_path):
    dest = tmp_path / "b"
    _run("backup", str(dest))
    evidence = world["evidence"][0]
    (dest / "files" / evidence.file.name).write_bytes(b"%PDF-1.7 forged")
    default_storage.delete(world["packets"][0].file.name)
    _, error = _run("restore", str(dest), "--force")
    assert error is not None
    assert f"file files/{evidence.file.name} does not match its digest" in str(error)
    # Nothing was written: the deleted packet file is still gone.
    assert not default_storage.exists(world["packets"][0].file.name)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_forced_restore_brings_back_rows_and_files_that_then_verify(world, tmp_path):
    dest = tmp_path / "b"
    _run("backup", str(dest))
    lost, altered = world["evidence"]
    packet = world["packets"][1]
    Evidence.objects.filter(pk=lost.pk).delete()
    default_storage.delete(lost.file.name)
    _overwrite(altered.file.name, b"forged")
    default_storage.delete(packet.file.name)
    out, error = _run("restore", str(dest), "--force")
    assert error is None, error
    assert "Restored the" in out
    assert Evidence.objects.filter(pk=lost.pk).exists()
    evidence_out, evidence_error = _run("verify_evidence", "--all")
    packets_out, packets_error = _run("verify_packets", "--all")
    total = Evidence.objects.count()
    assert (evidence_error, packets_error) == (None, None)
    assert f"evidence: verified {total} / total {total}" in evidence_out
    assert "packets: verified 2 / total 2" in packets_out


# --- verify commands: verified, changed or missing ------------------------------------------


@pytest.mark.django_db
def test_verify_evidence_names_each_file_and_fails_on_missing_or_changed(world):
    missing, changed = world["evidence"]
    default_storage.delete(missing.file.name)
    _overwrite(changed.file.name, b"forged")
    out, error = _run("verify_evidence", "--all")
    total = Evidence.objects.count()
    assessment = missing.response.assessment_id
    assert f"evidence #{missing.pk} (contract.pdf, assessment #{assessment}): missing" in out
    assert f"evidence #{changed.pk} (contract.pdf, assessment #{assessment}): changed" in out
    assert out.count("): verified") == total - 2
    assert f"evidence: verified {total - 2} / total {total}" in out
    assert error is not None and error.returncode == 1


@pytest.mark.django_db
def test_verify_evidence_passes_when_every_file_is_intact(world):
    out, error = _run("verify_evidence", "--all")
    total = Evidence.objects.count()
    assert error is None
    assert f"evidence: verified {total} / total {total}" in out


@pytest.mark.django_db
def test_verify_packets_names_each_packet_and_fails_on_missing_or_changed(world):
    first, second = world["packets"]
    default_storage.delete(first.file.name)
    _overwrite(second.file.name, b"forged")
    out, error = _run("verify_packets", "--all")
    assert f"packet #{first.pk} (link 1): missing" in out
    assert f"packet #{second.pk} (link 2): changed" in out
    assert "altered" not in out
    assert "packets: verified 0 / total 2" in out
    assert error is not None and error.returncode == 1


@pytest.mark.django_db
def test_verify_packets_reports_a_broken_chain_even_with_every_file_intact(world):
    first, second = world["packets"]
    # What a person with database access might do; no service, admin page or API route can.
    with guards_off():
        Packet.objects.filter(pk=first.pk).delete()
    out, error = _run("verify_packets", "--all")
    assert f"packet #{second.pk} (link 2): verified" in out
    assert f"chain: packet #{first.pk} is missing between the start of the chain and" in out
    assert "packets: verified 1 / total 1" in out
    assert error is not None


# --- the verify page and API say "missing", not "altered" ------------------------------------


@pytest.mark.django_db
def test_a_packet_whose_file_is_gone_is_missing_on_the_api_and_the_page(world, auditor, api_as):
    packet = world["packets"][0]
    default_storage.delete(packet.file.name)
    body = api_as(auditor).get(f"/api/v1/packets/verify/?id={packet.pk}").json()
    assert (body["matches"], body["file_state"]) == (False, "missing")
    assert body["message"] == (
        f"The file of packet #{packet.pk} (link 1 of the chain) is missing from storage; "
        f"packet #{packet.pk}'s file is missing."
    )
    from django.test import Client

    client = Client()
    client.force_login(auditor)
    page = client.get(f"/packets/verify/?id={packet.pk}").content.decode()
    assert "is missing from storage" in page
    assert "Stored file: missing" in page
    assert "altered" not in page


@pytest.mark.django_db
def test_a_packet_whose_file_changed_is_still_called_altered(world, auditor, api_as):
    packet = world["packets"][1]
    _overwrite(packet.file.name, b"forged")
    body = api_as(auditor).get(f"/api/v1/packets/verify/?id={packet.pk}").json()
    assert (body["matches"], body["file_state"]) == (False, "changed")
    assert body["message"].startswith(f"The file of packet #{packet.pk} (link 2 of the chain) was")
    assert "was altered" in body["message"]
    assert body["sha256"] != packet.sha256
