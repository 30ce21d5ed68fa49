"""seed_demo: one demo user per role and a demo world (vendors to packets); idempotent."""

import secrets

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from governance.choices import Role
from governance.services.demo import (
    seed_finance,
    seed_funnel,
    seed_measurements,
    seed_model_lifecycle,
    seed_packets,
    seed_pilots,
    seed_questionnaires,
    seed_shortlist,
    seed_vendors,
)
from vendors.kit.audit import acting_as
from vendors.services.frameworks import frameworks_load_shipped


class Command(BaseCommand):
    """Create the demo users security, legal, ai_pm, finance, platform and auditor."""

    help = "Create one demo user per role (named after the role). Safe to run repeatedly."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--password",
            help="Password for new demo users (default: TOLLGATE_DEMO_PASSWORD, else generated).",
        )
        parser.add_argument(
            "--users-only",
            action="store_true",
            help="Create the demo users and nothing else (no vendors, pilots, spend or packets).",
        )
        parser.add_argument(
            "--no-packets",
            action="store_true",
            help="Seed the demo world but render no sign-off packets (they take most of the time).",
        )
        # --- demo evidence (issue item 9) ---
        parser.add_argument(
            "--no-evidence",
            action="store_true",
            help="Skip the evidence files (members, pull requests, gateway logs, Copilot).",
        )
        parser.add_argument(
            "--evidence-dir",
            help="Where to write the evidence files (default: VAR_DIR/demo-evidence/).",
        )
        # --- end demo evidence ---

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        password = options["password"] or settings.TOLLGATE_DEMO_PASSWORD
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)

        if not generated:
            self._validate_password(password)

        created, reset = [], []
        users = {}
        with acting_as(None):
            for role in Role:
                user, was_created = User.objects.get_or_create(
                    username=role.value,
                    defaults={"first_name": role.label, "email": f"{role.value}@example.com"},
                )
                if was_created or options["password"]:
                    user.set_password(password)
                    if not was_created:
                        reset.append(role.value)
                user.is_staff = True  # the admin is where security, legal and finance work
                user.save()
                user.groups.add(Group.objects.get(name=role.value))
                users[role.value] = user
                if was_created:
                    created.append(role.value)

        if not options["users_only"]:
            self._seed_world(users, packets=not options["no_packets"])
            # --- demo evidence (issue item 9) ---
            if not options["no_evidence"]:
                self._seed_evidence(users, directory=options["evidence_dir"])
            # --- end demo evidence ---
            # After the evidence: its gateway logs show the pilot's model switch.
            lifecycle = seed_model_lifecycle(users)
            if lifecycle:
                self.stdout.write(f"Model lifecycle: {'; '.join(lifecycle)}")

        if created:
            self.stdout.write(f"Created demo users: {', '.join(created)}")
            if generated:
                # Printed once: a rerun finds the users and leaves their password alone.
                self.stdout.write(self.style.WARNING(f"Demo password (shown once): {password}"))
        if reset:
            self.stdout.write(f"Set the given password for existing demo users: {', '.join(reset)}")
        if not created and not reset:
            self.stdout.write("Demo users already exist; passwords unchanged.")

    @staticmethod
    def _validate_password(password: str) -> None:
        """The demo users sign in like anyone else, so their password meets the same validators
        (AUTH_PASSWORD_VALIDATORS), checked against each user before anything is written."""
        problems = []
        for role in Role:
            candidate = User(
                username=role.value, first_name=role.label, email=f"{role.value}@example.com"
            )
            try:
                validate_password(password, user=candidate)
            except ValidationError as error:
                problems += [m for m in error.messages if m not in problems]
        if problems:
            raise CommandError("Password refused; nothing changed: " + " ".join(problems))

    def _seed_world(self, users: dict, *, packets: bool) -> None:
        """Vendors, frameworks, the shortlist, pilots, measurements, spend, a review; packets."""
        vendors = seed_vendors(users)
        if vendors:
            self.stdout.write(f"Created demo vendors: {', '.join(vendors)}")
        loaded = [r.framework for r in frameworks_load_shipped() if r.created]
        if loaded:
            self.stdout.write(f"Loaded frameworks: {', '.join(str(f) for f in loaded)}")
        links = seed_questionnaires(users)
        if links:
            # The token is stored hashed: this run is the only chance to show the demo link.
            self.stdout.write(f"Pending vendor questionnaire (shown once): {links['pending']}")
        number = seed_shortlist(users)
        if number:
            self.stdout.write(f"Published demo shortlist v{number}.")
        pilots = seed_pilots(users)
        if pilots:
            self.stdout.write(f"Created demo pilots: {'; '.join(pilots)}")
        rows = seed_measurements(users)
        if rows:
            self.stdout.write(f"Recorded {rows} demo measurements.")
        funnel = seed_funnel(users)
        if funnel:
            self.stdout.write(f"Created the funnel's stopped subjects: {'; '.join(funnel)}")
        spend = seed_finance(users)
        if spend:
            self.stdout.write(f"Recorded {spend} demo spend rows and one signed quarterly review.")
        if packets:
            made = seed_packets(users)
            if made:
                self.stdout.write(f"Sign-off packets: {', '.join(made)}")

    # --- demo evidence (issue item 9) ---
    def _seed_evidence(self, users: dict, *, directory: str | None) -> None:
        """Write the demo's evidence files, import them through the commands, print tiers."""
        from governance.services.demo_evidence import seed_evidence, tier_summary

        seed_evidence(users=users, directory=directory, write=self.stdout.write)
        summary = tier_summary()
        if summary:
            self.stdout.write(summary)

    # --- end demo evidence ---
