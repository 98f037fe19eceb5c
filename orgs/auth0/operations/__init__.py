"""One idempotent function per Management API change. Plain data in, plain data out."""
