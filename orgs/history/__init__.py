"""An organization's configuration history: snapshots of what staff edit (its settings,
its enabled connections, the application URLs it contributed), recorded as versions when
the services change them, compared in words, and restored through the services."""
