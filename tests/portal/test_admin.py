from __future__ import annotations

import pytest
from django.test import Client

from portal.models import User
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "portal/user",
    "orgs/organization",
    "orgs/connection",
    "orgs/organizationconnection",
    "orgs/connectionapplication",
    "orgs/application",
    "orgs/applicationurl",
    "orgs/invitation",
    "orgs/member",
    "orgs/role",
    "orgs/domain",
    "orgs/syncoperation",
    "orgs/auditevent",
]


@pytest.mark.parametrize("page", PAGES)
def test_a_superuser_sees_every_model_in_the_admin(client: Client, page: str) -> None:
    OrganizationFactory()
    client.force_login(User.objects.create_superuser("local|root", "root@portal.test", "pw"))
    assert client.get(f"/admin/{page}/").status_code == 200


def test_staff_admins_without_superuser_rights_cannot_use_the_admin(client: Client) -> None:
    client.force_login(User.objects.create_user("auth0|staff", "staff@portal.test", is_staff=True))
    assert client.get("/admin/orgs/organization/").status_code in (302, 403)
