"""The sync engine: SyncOperations recorded by services, run by tasks, swept by beat."""
