"""Object-level rules of the vendor registry (loaded by rules' autodiscovery).

They only narrow what a role's model permission already allows (see governance/roles.py and
governance/permissions.py); superusers pass every check.
"""

import rules


def _groups(user) -> set[str]:
    if not hasattr(user, "_tollgate_groups"):
        user._tollgate_groups = set(user.groups.values_list("name", flat=True))
    return user._tollgate_groups


@rules.predicate
def owns_item(user, response) -> bool:
    """Only the checklist item's owner role judges it (security items by security, ...)."""
    return response is None or response.item.owner_role in _groups(user)


rules.add_perm("vendors.change_response", owns_item)


@rules.predicate
def owns_answered_item(user, answer) -> bool:
    """A vendor's proposed answer is judged by the owner role of the item it answers."""
    return answer is None or answer.response.item.owner_role in _groups(user)


rules.add_perm("vendors.change_proposedanswer", owns_answered_item)
