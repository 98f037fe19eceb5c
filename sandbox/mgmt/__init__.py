"""Management API routes (under /api/v2). Every module here is imported by create_app."""
