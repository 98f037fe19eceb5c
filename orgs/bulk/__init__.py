"""Bulk provisioning from a CSV file (issue 8).

- `csvfile`: read an uploaded file and check it row by row (nothing is written);
- `progress`: how far a run got, per row and per run, in a constant number of queries;
- `eta`: the time left, from the rate-limit buckets' share for the bulk lane;
- `results`: the results CSV a person downloads.

The writes (store the report, confirm, create each row) are `orgs.services.bulk`; the
task that creates the rows is `orgs.bulk_tasks`.
"""
