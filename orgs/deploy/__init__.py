"""Organizations as code: export the portal's organizations in auth0-deploy-cli's
directory format, and plan/apply such a directory through the services (docs/deploy.md)."""
