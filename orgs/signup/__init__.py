"""Self sign-up: a new customer creates their organization and becomes its first admin
(docs/signup.md)."""
