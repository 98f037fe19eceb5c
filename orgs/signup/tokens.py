"""Verification links: signed with SECRET_KEY (django.core.signing), timestamped, naming one
sign-up and carrying its nonce. The link is single-use by the sign-up's state, not by the
token: a second click finds the sign-up verified and shows its progress, which is the
harmless answer to double clicks, reloads, two tabs and replays."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.conf import settings
from django.core import signing

from orgs.signup.models import Signup

SALT = "orgs.signup.verify"


class LinkProblem(enum.Enum):
    INVALID = "invalid"  # tampered, truncated, or not ours
    EXPIRED = "expired"  # ours, but older than SIGNUP_VERIFY_HOURS
    ABANDONED = "abandoned"  # its sign-up was never verified in time and is closed


@dataclass(frozen=True)
class ReadLink:
    signup: Signup | None
    problem: LinkProblem | None


def make_token(signup: Signup) -> str:
    return signing.dumps({"s": signup.public_id.hex, "n": signup.token_nonce}, salt=SALT)


def read_token(token: str) -> ReadLink:
    """The sign-up a link names, and why it cannot be used (None when it can). An expired
    link still names its sign-up, so the page can offer to send a fresh one."""
    max_age = settings.SIGNUP_VERIFY_HOURS * 3600
    try:
        return ReadLink(_signup_of(signing.loads(token, salt=SALT, max_age=max_age)), None)
    except signing.SignatureExpired:
        try:
            payload = signing.loads(token, salt=SALT)
        except signing.BadSignature:
            return ReadLink(None, LinkProblem.INVALID)
        return ReadLink(_signup_of(payload), LinkProblem.EXPIRED)
    except (signing.BadSignature, ValueError):
        return ReadLink(None, LinkProblem.INVALID)


def _signup_of(payload: object) -> Signup | None:
    if not isinstance(payload, dict):
        return None
    public_id, nonce = payload.get("s"), payload.get("n")
    if not isinstance(public_id, str) or not isinstance(nonce, str):
        return None
    try:
        return Signup.objects.filter(public_id=public_id, token_nonce=nonce).first()
    except (ValueError, signing.BadSignature):  # a malformed uuid
        return None
