"""Object-level rules of the governance app (loaded by rules' autodiscovery).

They only narrow what a role's model permission allows (governance/roles.py).
"""

import rules

from governance.choices import Role


@rules.predicate
def owns_pilot(user, obj) -> bool:
    """Only a pilot's owner shapes it (its baselines and kill criteria included)."""
    if obj is None:
        return True
    pilot = getattr(obj, "pilot", obj)
    return pilot.owner_id == user.pk


@rules.predicate
def records_for_pilot(user, pilot) -> bool:
    """Platform (telemetry) records for any pilot; an AI PM only for pilots they own."""
    if pilot is None:
        return True
    groups = set(user.groups.values_list("name", flat=True))
    return Role.PLATFORM in groups or pilot.owner_id == user.pk


@rules.predicate
def evaluates_pilot(user, pilot) -> bool:
    """A checkpoint is evaluated on demand by the pilot's owner or by security; the daily
    schedule evaluates every pilot without an actor. Another PM must not move a pilot they do
    not own towards its kill decision."""
    if pilot is None:
        return True
    pilot = getattr(pilot, "pilot", pilot)
    groups = set(user.groups.values_list("name", flat=True))
    return Role.SECURITY in groups or pilot.owner_id == user.pk


rules.add_perm("governance.add_measurement", records_for_pilot)
rules.add_perm("governance.add_checkpointevaluation", evaluates_pilot)
# Control teams are a measurement choice: the same people who record for a pilot pick them.
rules.add_perm("governance.set_controls_pilot", records_for_pilot)

for perm in (
    "governance.change_pilot",
    "governance.add_baseline",
    "governance.change_baseline",
    "governance.delete_baseline",
    "governance.add_killcriterion",
    "governance.change_killcriterion",
    "governance.delete_killcriterion",
):
    rules.add_perm(perm, owns_pilot)


@rules.predicate
def sees_packet_subject(user, packet) -> bool:
    """A packet is visible to whoever may view its subject's kind (e.g. assessments)."""
    if packet is None:
        return True
    from governance.selectors.packets import PACKET_KINDS

    return user.has_perm(PACKET_KINDS[packet.kind].view_perm)


for perm in ("governance.view_packet", "governance.add_packet"):
    rules.add_perm(perm, sees_packet_subject)
