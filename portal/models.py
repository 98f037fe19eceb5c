"""The portal's user: a person identified by their Auth0 `sub`."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    def create_user(self, sub: str, email: str = "", **extra: Any) -> User:
        user = self.model(sub=sub, email=self.normalize_email(email), **extra)
        user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(
        self, sub: str, email: str = "", password: str | None = None, **extra: Any
    ) -> User:
        """Superusers reach /admin/ with a local password (break-glass access)."""
        user = self.model(
            sub=sub, email=self.normalize_email(email), is_staff=True, is_superuser=True, **extra
        )
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser, PermissionsMixin):
    sub = models.CharField("Auth0 subject", max_length=255, unique=True)
    email = models.EmailField(blank=True)
    name = models.CharField(max_length=255, blank=True)
    is_staff = models.BooleanField(
        default=False, help_text="Staff admins of the SaaS company (set at login)."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    USERNAME_FIELD = "sub"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["email"]

    objects = UserManager()

    def __str__(self) -> str:
        return self.email or self.sub

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.email.split("@")[0] if self.email else self.sub
