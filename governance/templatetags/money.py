"""Template filters for finance figures on pages and packets: every number formatted for
people and named in words (the API keeps raw decimal strings and machine names)."""

from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale
from babel.numbers import NumberPattern, get_currency_symbol, parse_pattern
from django import template

from governance.choices import BenefitCategory, SpendCategory

register = template.Library()
LOCALE = "en_US"
NONE = "—"

# What each figure of the ROI model is called for people, and how it is shown. The machine
# names (DESIGN.md's formula sheet) stay in the API and in the stored snapshot.
FIGURES: dict[str, tuple[str, str]] = {
    "engineers": ("Engineers", "count"),
    "prs_per_engineer_month": ("Pull requests per engineer per month", "number"),
    "cycle_time_saving_hours": ("Cycle-time saving per pull request", "hours"),
    "loaded_hourly_rate": ("Loaded hourly rate of an engineer", "money"),
    "reviewer_minutes_change_per_pr": (
        "Change in senior reviewer minutes per pull request",
        "minutes",
    ),
    "senior_hourly_rate": ("Hourly rate of a senior reviewer", "money"),
    "other_audited_benefits": ("Other audited benefits", "money"),
    "annual_ai_spend": ("Annual AI spend", "money"),
    "one_time_costs": ("One-time costs", "money"),
    "annual_pr_volume": ("Pull requests a year", "count"),
    "hours_saved": ("Engineer hours saved a year", "hours"),
    "time_savings": ("Value of the hours saved", "money"),
    "reviewer_savings": ("Value of reviewer time saved", "money"),
    "total_benefit": ("Total benefit a year", "money"),
    "benefit_multiple": ("Benefit multiple (benefit / annual AI spend)", "multiple"),
    "net_roi": ("Net return on AI spend", "percent"),
    "monthly_net_savings": ("Net savings a month", "money"),
    "payback_months": ("Payback of one-time costs", "months"),
    "effort_factor": ("Effort factor", "number"),
    "price_change_pct": ("Token prices", "text"),
    "heavy_shift_points": ("Heavy-tier share", "text"),
}
CATEGORIES = {**dict(SpendCategory.choices), **dict(BenefitCategory.choices)}


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number if number.is_finite() else None


@register.filter
def percent(value) -> str:
    """'1.1000' (a fraction, as net_roi is stored) -> '110.0%'; '—' for none."""
    number = _decimal(value)
    if number is None:
        return NONE
    return _formatted(number * 100, "#,##0.0") + "%"


# Babel's format_currency and format_decimal parse the locale and the pattern on every call
# (30 us a figure); a portfolio page formats hundreds. They are parsed once here instead.
_LOCALE = Locale.parse(LOCALE)


@lru_cache(maxsize=64)
def _pattern(pattern: str | None) -> NumberPattern:
    return _LOCALE.currency_formats["standard"] if pattern is None else parse_pattern(pattern)


@lru_cache(maxsize=64)
def _symbol(code: str) -> str:
    return get_currency_symbol(code, locale=_LOCALE)


def _currency(number: Decimal, currency: str, pattern: str | None = None) -> str:
    code = (currency or "USD").upper()
    # As babel's format_currency: the currency's own decimals for the standard pattern, the
    # pattern's for a given one.
    text = _pattern(pattern).apply(number, _LOCALE, currency=code, currency_digits=pattern is None)
    if _symbol(code) == code:  # "CHF1,234.00" reads badly: a space after a code
        text = text.replace(code, code + "\u00a0", 1)
    return text


def _formatted(number: Decimal, pattern: str) -> str:
    """babel's format_decimal, with the pattern parsed once."""
    return _pattern(pattern).apply(number, _LOCALE)


@register.filter
def money(value, currency: str = "USD") -> str:
    """'4147200' and 'USD' -> '$4,147,200.00'; a currency without a symbol of its own keeps
    its code: 'CHF 1,234.00'."""
    number = _decimal(value)
    return NONE if number is None else _currency(number, currency)


@register.filter
def unit_money(value, currency: str = "USD") -> str:
    """A price too small for cents (a cost per request): two significant digits past the
    zeros, at least two decimals, at most six: '0.002833' -> '$0.0028', '0.3' -> '$0.30'."""
    number = _decimal(value)
    if number is None:
        return NONE
    if not number:
        return _currency(number, currency)
    # adjusted() is the power of ten of the first significant digit: -3 for 0.0028.
    places = min(max(2, 1 - number.adjusted()), 6)
    return _currency(number, currency, "¤#,##0." + "0" * places)


def whole_money(value, currency: str = "USD") -> str:
    """Money to the unit, for a chart's axis: '12345.6' -> '$12,346'."""
    number = _decimal(value)
    return NONE if number is None else _currency(number, currency, "¤#,##0")


@register.filter
def number(value, places: int = 2) -> str:
    """'43200.00' -> '43,200'; '1.5' -> '1.5' (up to `places` decimals, thousands separated)."""
    if type(value) is int or (type(value) is float and value.is_integer()):
        # Counts are most figures on a page: en_US groups a whole number as Python does.
        return f"{int(value):,}"
    numeric = _decimal(value)
    if numeric is None:
        return NONE
    pattern = "#,##0" + ("." + "#" * int(places) if int(places) else "")
    return _formatted(numeric, pattern)


@register.filter
def hours(value) -> str:
    """'34560.00' -> '34,560 h'; '1.5' -> '1.5 h'."""
    text = number(value, 1)
    return NONE if text == NONE else f"{text} h"


@register.filter
def figure_name(name: str) -> str:
    """The people's name of a figure of the ROI model (or a ledger category)."""
    if name in FIGURES:
        return FIGURES[name][0]
    if name in CATEGORIES:
        return str(CATEGORIES[name])
    return str(name).replace("_", " ").capitalize()


@register.filter
def figure(value, arg: str = "") -> str:
    """A figure of the ROI model formatted by its kind: `value|figure:"net_roi,USD"`."""
    name, _, currency = str(arg).partition(",")
    kind = FIGURES.get(name, ("", "number"))[1]
    numeric = _decimal(value)
    if numeric is None:
        return NONE
    if kind == "money":
        return money(numeric, currency or "USD")
    if kind == "percent":
        return percent(numeric)
    if kind == "hours":
        return hours(numeric)
    if kind == "minutes":
        return number(numeric, 1) + " min"
    if kind == "months":
        return number(numeric, 1) + " months"
    if kind == "multiple":
        return _formatted(numeric, "#,##0.00") + "x"
    if kind == "count":
        return number(numeric, 0)
    return number(numeric, 2)


@register.filter
def measure(value, unit: str = "") -> str:
    """A metric's value in its unit: '28.50' hours -> '28.5 h'; minutes -> '39 min';
    percent -> '12.5%'; a currency code -> money; anything else '1,240 <unit>'."""
    numeric = _decimal(value)
    if numeric is None:
        return NONE
    unit = (unit or "").strip()
    if unit == "hours":
        return hours(numeric)
    if unit == "minutes":
        return number(numeric, 1) + " min"
    if unit == "percent":
        return _formatted(numeric, "#,##0.0") + "%"
    if len(unit) == 3 and unit.isupper():
        return money(numeric, unit)
    return f"{number(numeric, 2)} {unit}".rstrip()


@register.filter
def signed_percent(value) -> str:
    """A change already in percent ('-16.7000') -> '-16.7%'; '+3.9%' when up."""
    numeric = _decimal(value)
    if numeric is None:
        return NONE
    return _formatted(numeric, "+#,##0.0;-#,##0.0") + "%"


@register.filter
def money_abs(value, currency: str = "USD") -> str:
    """The amount without its sign, for text that says the direction in words or a sign."""
    numeric = _decimal(value)
    return NONE if numeric is None else money(abs(numeric), currency)
