"""Frameworks as data: each shipped file loads, loading twice changes nothing, versions are kept."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from vendors.framework_files import FrameworkFileError, parse_tollgate_framework
from vendors.models import ChecklistItem, Framework, Requirement, RequirementMapping

pytestmark = pytest.mark.django_db

SHIPPED = sorted((Path(settings.BASE_DIR) / "vendors" / "frameworks").glob("*.json"))
OSCAL = Path(settings.BASE_DIR) / "tests" / "data" / "oscal" / "sp800-53-rev5-excerpt.json"


def _load(*paths, **options) -> str:
    out = StringIO()
    call_command("load_framework", *map(str, paths), stdout=out, **options)
    return out.getvalue()


def _snapshot() -> list:
    return [
        list(Framework.objects.values_list("id", "slug", "version", "current", "digest")),
        list(Requirement.objects.values_list("id", "framework_id", "ref", "parent_id")),
        list(RequirementMapping.objects.values_list("id", "requirement_id", "item_id")),
    ]


def test_the_four_frameworks_are_shipped():
    slugs = {json.loads(p.read_text())["framework"]["slug"] for p in SHIPPED}
    assert slugs == {"iso-iec-42001", "eu-ai-act", "nist-ai-rmf", "soc2-tsc"}


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_it_loads_each_shipped_file_once(path):
    out = _load(path)
    assert out.startswith("Loaded ")
    framework = Framework.objects.get()
    assert framework.current
    data = json.loads(path.read_text())
    assert framework.requirements.count() > 20
    assert RequirementMapping.objects.count() == len(data["mappings"])
    before = _snapshot()

    again = _load(path)

    assert again.startswith("Unchanged:")
    assert _snapshot() == before


def test_every_checklist_item_maps_to_each_framework():
    _load(*SHIPPED)
    codes = set(ChecklistItem.objects.values_list("code", flat=True))
    for framework in Framework.objects.all():
        mapped = set(
            RequirementMapping.objects.filter(requirement__framework=framework).values_list(
                "item__code", flat=True
            )
        )
        assert mapped == codes, framework.slug


def test_iso_annex_a_has_controls_a2_to_a10_as_headings():
    _load(*SHIPPED)
    iso = Framework.objects.get(slug="iso-iec-42001")
    tops = list(iso.requirements.filter(parent=None).values_list("ref", "assessable"))
    assert tops == [(f"A.{n}", False) for n in range(2, 11)]
    event_logs = iso.requirements.get(ref="A.6.2.8")
    assert event_logs.parent.ref == "A.6.2" and event_logs.assessable


def _doc(version: str, title: str = "Keep logs") -> dict:
    return {
        "framework": {"slug": "house", "version": version, "name": "House rules"},
        "requirements": [
            {"id": "H.1", "title": "Logging", "children": [{"id": "H.1.1", "title": title}]}
        ],
        "mappings": [
            {
                "item": "audit-log-access",
                "requirement": "H.1.1",
                "relationship": "equal",
                "rationale": "r",
            }
        ],
    }


def _write(tmp_path, doc: dict, name: str) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_a_new_version_becomes_current_and_the_old_one_is_kept(tmp_path):
    _load(_write(tmp_path, _doc("1"), "v1.json"))
    _load(_write(tmp_path, _doc("2", "Keep logs a year"), "v2.json"))
    versions = dict(Framework.objects.filter(slug="house").values_list("version", "current"))
    assert versions == {"1": False, "2": True}
    assert Requirement.objects.filter(framework__slug="house").count() == 4
    # Loading the old file again changes nothing, the newer version stays current.
    before = _snapshot()
    _load(tmp_path / "v1.json")
    assert _snapshot() == before


def test_changed_content_under_the_same_version_is_refused(tmp_path):
    _load(_write(tmp_path, _doc("1"), "a.json"))
    with pytest.raises(CommandError, match="already loaded with different content"):
        _load(_write(tmp_path, _doc("1", "Keep logs forever"), "b.json"))
    assert Requirement.objects.get(ref="H.1.1").title == "Keep logs"


def test_a_mapping_to_an_unknown_item_loads_nothing(tmp_path):
    doc = _doc("1")
    doc["mappings"][0]["item"] = "no-such-item"
    with pytest.raises(CommandError, match="unknown checklist items: no-such-item"):
        _load(_write(tmp_path, doc, "bad.json"))
    assert not Framework.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["mappings"][0].update(relationship="overlaps"), "not one of equal"),
        (lambda d: d["mappings"][0].update(requirement="H.1"), "a heading"),
        (lambda d: d["mappings"][0].update(requirement="H.9"), "unknown requirement H.9"),
        (lambda d: d["mappings"][0].update(rationale=""), "'rationale' must be"),
        (lambda d: d["requirements"].append({"id": "H.1", "title": "x"}), "H.1 appears twice"),
        (lambda d: d["framework"].update(slug="House Rules"), "lowercase letters"),
    ],
)
def test_it_refuses_a_bad_file_naming_the_problem(change, message):
    doc = _doc("1")
    change(doc)
    with pytest.raises(FrameworkFileError, match=message):
        parse_tollgate_framework(doc)


def test_it_reads_an_oscal_catalog():
    out = _load(OSCAL, slug="sp800-53")
    assert "Loaded NIST SP 800-53 Rev 5 excerpt version 5.1.1" in out
    framework = Framework.objects.get(slug="sp800-53")
    assert framework.source == "oscal"
    rows = list(framework.requirements.values_list("ref", "parent__ref", "assessable"))
    assert rows == [
        ("ac", None, False),
        ("AC-1", "ac", True),
        ("AC-2", "ac", True),
        ("AC-2(1)", "AC-2", True),  # enhancements nest under their control
        ("au", None, False),
        ("AU-2", "au", True),
        ("AU-12", "au", True),
    ]  # AC-2(10) is withdrawn and left out
    before = _snapshot()
    assert _load(OSCAL, slug="sp800-53").startswith("Unchanged:")
    assert _snapshot() == before


def test_an_oscal_catalog_without_a_version_is_refused(tmp_path):
    data = json.loads(OSCAL.read_text())
    del data["catalog"]["metadata"]["version"]
    with pytest.raises(CommandError, match="'version' must be a non-empty string"):
        _load(_write(tmp_path, data, "oscal.json"))
