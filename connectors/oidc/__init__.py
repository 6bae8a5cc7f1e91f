"""Single sign-on with an OpenID Connect provider (authorization code, PKCE, verified email)."""

from connectors.oidc.client import Challenge, Identity, OidcClient, OidcError, Provider

__all__ = ["Challenge", "Identity", "OidcClient", "OidcError", "Provider"]
