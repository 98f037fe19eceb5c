"""The offboarding REST API (`/api/v1/`): an organization's own automation lists, invites,
blocks, unblocks, signs out and removes its members with an organization-scoped API key.
django-ninja gives typed endpoints and the OpenAPI document from one set of schemas."""
