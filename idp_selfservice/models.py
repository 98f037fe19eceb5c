"""Customer-admin SSO setup records arrive with the self-service issue; domains live in orgs."""
