"""What every hosted-CRM connector shares: HTTP with one retry policy, OAuth tokens encrypted at
rest, API-usage tracking, field scopes and canonical value checks.

The vendor packages (`connectors.salesforce`, `connectors.hubspot`, `connectors.pipedrive`) add
only their wire format: paths, field mapping and the one `raise_for_status` that turns their
error bodies into the `agent.errors` tree.
"""

from connectors.common.errors import CrmTransientError, OutcomeUnknown
from connectors.common.http import ApiClient, CallStats
from connectors.common.retry import RetryPolicy
from connectors.common.scopes import FieldScope
from connectors.common.tokens import OAuthSession, OAuthToken, StaticToken, TokenSource, TokenStore
from connectors.common.usage import ApiUsage, CrmHealth

__all__ = [
    "ApiClient",
    "ApiUsage",
    "CallStats",
    "CrmHealth",
    "CrmTransientError",
    "FieldScope",
    "OAuthSession",
    "OAuthToken",
    "OutcomeUnknown",
    "RetryPolicy",
    "StaticToken",
    "TokenSource",
    "TokenStore",
]
