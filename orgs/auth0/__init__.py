"""The gateway: the one place that talks to the Auth0 Management API (auth0-python)."""
