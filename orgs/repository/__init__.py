"""Repository mode: the organizations' configuration kept as commits in a git repository
in deploy-cli's directory format, deployed to Auth0 as visible, retryable jobs
(docs/deploy.md, "Repository mode")."""
