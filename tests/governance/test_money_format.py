"""The figure filters format as babel's own functions do, though they parse the locale and
patterns once and format whole numbers without babel (a page formats hundreds of figures)."""

from decimal import Decimal

import pytest
from babel.numbers import format_currency, format_decimal

from governance.templatetags.money import LOCALE, money, number, unit_money

VALUES = [0, 7, -12, 999, 1000, 22050, -1234567, 10**12]


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("places", [0, 1, 2])
def test_whole_numbers_read_as_babel_writes_them(value, places):
    pattern = "#,##0" + ("." + "#" * places if places else "")
    expected = format_decimal(Decimal(value), format=pattern, locale=LOCALE)
    assert number(value, places) == expected
    assert number(float(value), places) == expected
    assert number(str(value), places) == expected


@pytest.mark.parametrize("value", ["21.5", "0.05", "1234.5678", "-3.14159", 21.5, 0.25])
def test_fractions_read_as_babel_writes_them(value):
    assert number(value, 1) == format_decimal(Decimal(str(value)), format="#,##0.#", locale=LOCALE)


@pytest.mark.parametrize("currency", ["USD", "EUR", "GBP", "JPY", "CHF"])
@pytest.mark.parametrize("value", ["0", "3643.93", "-12.5", "4147200", "0.004"])
def test_money_reads_as_babel_writes_it(currency, value):
    expected = format_currency(Decimal(value), currency, locale=LOCALE)
    if currency == "CHF":  # a code without a symbol of its own gets a space after it
        expected = expected.replace("CHF", "CHF\u00a0", 1)
    assert money(value, currency) == expected


def test_none_and_booleans_are_not_counts():
    assert number(None) == "—"
    assert number(True) == "—"
    assert unit_money("0.002833", "USD") == "$0.0028"
