"""import_spend: a CSV month of spend, all or nothing, from the command line."""

import pytest
from django.core.management import CommandError, call_command

from governance.models import Spend


def _csv(tmp_path, running_pilot, *rows):
    path = tmp_path / "spend.csv"
    slug = running_pilot.offering.vendor.slug
    lines = ["month,amount,currency,scope,pilot,vendor,category,reference"]
    lines += [r.format(pilot=running_pilot.pk, vendor=slug) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_import_spend_records_rows(tmp_path, running_pilot, finance):
    path = _csv(
        tmp_path,
        running_pilot,
        "2027-01,2000,USD,pilot,{pilot},{vendor},seats,INV-1",
        "2027-01,900.50,USD,pilot,{pilot},{vendor},inference_heavy,INV-2",
    )
    call_command("import_spend", path, as_user="finance")
    assert Spend.objects.count() == 2
    assert set(Spend.objects.values_list("source", flat=True)) == {"import"}


def test_import_spend_writes_nothing_when_a_row_is_bad(tmp_path, running_pilot, finance):
    path = _csv(
        tmp_path,
        running_pilot,
        "2027-01,2000,USD,pilot,{pilot},{vendor},seats,INV-1",
        "2027-01,-3,USD,pilot,{pilot},{vendor},seats_again,INV-2",
    )
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_spend", path, as_user="finance")
    assert Spend.objects.count() == 0


def test_import_spend_refuses_a_role_without_the_ledger(tmp_path, running_pilot, ai_pm):
    path = _csv(tmp_path, running_pilot, "2027-01,2000,USD,pilot,{pilot},{vendor},seats,INV-1")
    with pytest.raises(CommandError, match="permission"):
        call_command("import_spend", path, as_user="ai_pm")
