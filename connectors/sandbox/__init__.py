"""The embedded CRM on SQLite: the default CRM, the demo's, and the reference adapter that the CRM
contract suite (`tests/contract/`) is first run against."""

from connectors.sandbox.crm import SandboxCrm
from connectors.sandbox.seed import AlreadySeeded, DemoBook, DemoMeeting, seed_demo
from connectors.sandbox.writes import SandboxWriter

__all__ = ["AlreadySeeded", "DemoBook", "DemoMeeting", "SandboxCrm", "SandboxWriter", "seed_demo"]
