"""Verified email domains: an organization claims a domain, proves it by a DNS TXT record
or an https well-known file, and only verified domains reach Auth0 (the organization's
discovery domains and its active SSO connections' `domain_aliases`)."""
