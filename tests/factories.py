"""factory_boy factories shared by the suite."""

from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile

from vendors.choices import HostingModel
from vendors.models import Vendor

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    """A user; pass role="security" (etc.) to put them in that role's group."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


class VendorFactory(factory.django.DjangoModelFactory):
    """A cloud vendor."""

    class Meta:
        model = Vendor

    name = factory.Sequence(lambda n: f"Vendor {n}")
    slug = factory.Sequence(lambda n: f"vendor-{n}")
    hosting_model = HostingModel.CLOUD_API
    data_regions = factory.LazyFunction(lambda: ["eu-west-1"])


class OfferingFactory(factory.django.DjangoModelFactory):
    """A non-agentic IDE assistant."""

    class Meta:
        model = "vendors.Offering"

    vendor = factory.SubFactory(VendorFactory)
    name = factory.Sequence(lambda n: f"Assistant {n}")
    kind = "ide_assistant"
    agentic = False
    seat_price = Decimal("19.00")
    currency = "USD"


class ModelVersionFactory(factory.django.DjangoModelFactory):
    """A standard-tier model version released 2026-01-01."""

    class Meta:
        model = "vendors.ModelVersion"

    vendor = factory.SubFactory(VendorFactory)
    family = "coder"
    version = factory.Sequence(lambda n: f"1.{n}")
    tier = "standard"
    price_input_per_mtok = Decimal("3.00")
    price_cached_input_per_mtok = Decimal("0.30")
    price_output_per_mtok = Decimal("15.00")
    released_on = date(2026, 1, 1)


def make_pdf(name: str = "contract.pdf", body: bytes = b"evidence") -> SimpleUploadedFile:
    """A small file that passes the PDF content check."""
    return SimpleUploadedFile(name, b"%PDF-1.7\n" + body + b"\n%%EOF\n", "application/pdf")


class TeamFactory(factory.django.DjangoModelFactory):
    """An engineering team of eight."""

    class Meta:
        model = "governance.Team"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")
    cost_centre = factory.Sequence(lambda n: f"CC-{1000 + n}")
    headcount = 8
