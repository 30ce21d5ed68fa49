"""factory_boy factories shared by the suite."""

import factory
from django.contrib.auth.models import Group, User

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
