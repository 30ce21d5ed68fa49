"""What a service token may do: the whole rule, in one place.

A service token (governance/models/tokens.py; created and revoked by
governance/services/tokens.py, authenticated by governance/api/auth.py) acts for a service
account that holds no role. It may:

- only while usable: not revoked and not past `expires_at` (checked at authentication);
- only call API views whose `token_scopes` names, for the request's method, a scope the token
  holds; every other view, page and the admin refuse it:
  - `shortlist:read`: GET the current shortlist, a shortlist version and the gateway check
    (vendors/api/views.py);
  - `measurements:write`: POST measurements in bulk (governance/api/measurements.py);
- with `measurements:write`, write only to the pilots it was granted.
"""

from typing import Any

from governance.models import Pilot, ServiceToken


def is_service_token(auth: Any) -> bool:
    """Whether a request was authenticated by a service token (not a person's token)."""
    return isinstance(auth, ServiceToken)


def token_allows(token: ServiceToken, *, view: Any, method: str) -> bool:
    """A token may call a view only with a method the view maps to a scope the token holds."""
    scope = (getattr(view, "token_scopes", None) or {}).get(method)
    return scope is not None and scope in token.scopes


def token_refused_pilots(token: ServiceToken, pilots: set[Pilot]) -> list[int]:
    """The ids of the pilots a token was not granted (empty when it may write to all)."""
    granted = set(token.pilots.values_list("pk", flat=True))
    return sorted(p.pk for p in pilots if p.pk not in granted)
