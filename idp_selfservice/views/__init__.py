"""The self-service SSO pages. Steps 1 to 4 (pick, create the app, tell us about the IdP,
attribute mapping), the organization's SSO index and each setup's task list live in
`index`, `tasklist`, `create_app`, `details` and `mapping`; step 5 in `testing`, step 6
and the lifecycle in `lifecycle`. Every view gets its organization and setup through
`idp_selfservice.access`, so anyone but staff and the organization's own admin gets a 404.
"""
