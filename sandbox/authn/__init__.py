"""Authentication API routes and login pages. Every module here is imported by create_app."""
