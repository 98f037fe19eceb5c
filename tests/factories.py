"""factory-boy factories for the portal's rows (Auth0 ids are fake but well-formed)."""

from __future__ import annotations

import factory

from orgs.models import (
    Application,
    Connection,
    Member,
    Organization,
    OrgStatus,
    Role,
    SyncState,
)
from portal.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("sub",)

    sub = factory.Sequence(lambda n: f"auth0|user{n:04d}")
    email = factory.Sequence(lambda n: f"person{n}@example.test")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"org-{n}")
    display_name = factory.LazyAttribute(lambda o: o.name.title())
    auth0_id = factory.Sequence(lambda n: f"org_fake{n:012d}")
    status = OrgStatus.ACTIVE
    sync_state = SyncState.IN_SYNC


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role
        django_get_or_create = ("name",)

    name = "org-admin"
    auth0_id = factory.LazyAttribute(lambda r: f"rol_{r.name.replace('-', '')}")


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    organization = factory.SubFactory(OrganizationFactory)
    user_id = factory.Sequence(lambda n: f"auth0|member{n:04d}")
    email = factory.Sequence(lambda n: f"member{n}@example.test")
    sync_state = SyncState.IN_SYNC


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application
        django_get_or_create = ("client_id",)

    client_id = factory.Sequence(lambda n: f"client{n:04d}")
    name = factory.Sequence(lambda n: f"App {n}")
    app_type = "regular_web"
    initiate_login_uri = "https://app.example.test/login"
    organization_usage = "allow"


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection
        django_get_or_create = ("name",)

    name = "Username-Password-Authentication"
    strategy = "auth0"
    auth0_id = factory.Sequence(lambda n: f"con_fake{n:012d}")
    sync_state = SyncState.IN_SYNC
