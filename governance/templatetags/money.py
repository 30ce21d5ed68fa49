"""Template filters for finance figures (the API keeps raw decimal strings)."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def percent(value) -> str:
    """'1.1000' (a fraction, as net_roi is stored) -> '110.0%'; '—' for none."""
    try:
        return f"{Decimal(str(value)) * 100:.1f}%"
    except (InvalidOperation, TypeError, ValueError):
        return "—"
