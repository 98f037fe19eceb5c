"""User migration: an organization's existing users, with their password hashes, brought
into its own Auth0 database connection through Auth0's bulk import jobs; and the export of
an organization's users through Auth0's export jobs (docs/user-migration.md)."""
