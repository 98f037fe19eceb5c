"""The provisioning benchmark (`manage.py bench_provisioning`, `make bench`)."""
