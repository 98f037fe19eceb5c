"""Pages of user migration and export (orgs/usermigration/urls.py)."""
