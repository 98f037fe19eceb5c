"""Link sessions: a browser that opened a setup link (idp_selfservice/setup_links.py).

Such a session is anonymous (no Django login) and carries only
`{link_id, org_pk, scopes, email, token_hash}` under SESSION_LINK. Every request re-checks
it (`recheck`, from portal.middleware): a revoked, expired, completed or resent link, or an
organization no longer active, ends the session and shows the dead-link page.

A link session reaches a page only where the view says so, for one scope:
`link_scope(scope)` or `link_or_login_required(scope)`. Inside such a view, and only
there, `request.user` is the contact's audit User (so the services audit under their
email) and the request carries a `LinkGrant`, which `orgs.views.access.get_organization_for`
accepts for that one organization. Every other page sees an anonymous visitor: the sign-in
page or a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from orgs.views.access import LINK_GRANT
from portal.models import User

SESSION_LINK = "setup_link"
_SESSION_ATTR = "setup_link_session"

View = Callable[..., HttpResponse]


@dataclass(frozen=True)
class LinkGrant:
    """What one view lets a link session do: `scope` in organization `org_pk`."""

    link_id: int
    org_pk: int
    scope: str
    email: str


@dataclass(frozen=True)
class LinkSession:
    link_id: int
    org_pk: int
    scopes: tuple[str, ...]
    contact: User


def start_link_session(request: HttpRequest, *, link: Any, contact: User) -> None:
    """Called after the link's use was recorded; the browser's login (if any) was ended."""
    request.session.cycle_key()
    request.session[SESSION_LINK] = {
        "link_id": link.pk,
        "org_pk": link.organization_id,
        "scopes": list(link.scopes),
        "email": contact.email,
        "token_hash": link.token_hash,
    }


def end_link_session(request: HttpRequest) -> None:
    request.session.flush()


def link_session(request: HttpRequest) -> LinkSession | None:
    """This request's live link session (set by `recheck`), or None."""
    found: LinkSession | None = getattr(request, _SESSION_ATTR, None)
    return found


def link_grant(request: HttpRequest) -> LinkGrant | None:
    found: LinkGrant | None = getattr(request, LINK_GRANT, None)
    return found


def recheck(request: HttpRequest) -> HttpResponse | None:
    """Run by the middleware on every request: None to go on, or the dead-link page."""
    from idp_selfservice import setup_links
    from idp_selfservice.models import SetupLink

    data = request.session.get(SESSION_LINK)
    if not data:
        return None
    if request.user.is_authenticated:  # a real login since: it wins, the link session goes
        del request.session[SESSION_LINK]
        return None
    link = SetupLink.objects.select_related("organization").filter(pk=data.get("link_id")).first()
    replaced = link is not None and link.token_hash != data.get("token_hash")
    if link is None or replaced or not setup_links.is_live(link):
        end_link_session(request)
        return dead_link_page(request, link, ended=True, replaced=replaced)
    contact = User.objects.filter(sub=setup_links.CONTACT_SUB_PREFIX + data["email"]).first()
    if contact is None:
        end_link_session(request)
        return dead_link_page(request, link, ended=True)
    session = LinkSession(link.pk, link.organization_id, tuple(link.scopes), contact)
    setattr(request, _SESSION_ATTR, session)
    return None


def dead_link_page(
    request: HttpRequest, link: Any, *, ended: bool = False, replaced: bool = False
) -> HttpResponse:
    """A calm page: this link no longer works, why, and who can issue a new one. An
    unknown token says nothing about any organization."""
    from idp_selfservice import setup_links

    context: dict[str, Any] = {"ended": ended, "link": link}
    if link is not None:
        state = setup_links.link_state(link)
        if replaced:  # resent: the token this session was opened with is gone
            state = "replaced"
        elif state == setup_links.LinkState.ACTIVE:  # the organization is not active
            state = setup_links.LinkState.REVOKED
        context.update(
            state=state,
            organization=link.organization,
            issuers=setup_links.issuers(link.organization),
        )
    return render(request, "setup_links/dead.html", context, status=410)


def link_scope(scope: str) -> Callable[[View], View]:
    """Let a link session whose link covers `scope` use this view (others: 404); anyone
    else reaches the view exactly as before."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            session = link_session(request)
            if session is not None and not request.user.is_authenticated:
                if scope not in session.scopes:
                    raise Http404
                grant = LinkGrant(session.link_id, session.org_pk, scope, session.contact.email)
                setattr(request, LINK_GRANT, grant)
                request.user = session.contact
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def link_or_login_required(scope: str) -> Callable[[View], View]:
    """@login_required, except that a link session covering `scope` may come in too."""

    def decorate(view: View) -> View:
        return link_scope(scope)(login_required(view))

    return decorate
