"""A local Ropo One simulator: a real HTTP server on loopback, for learning and testing.

It answers POST /rest/token and POST /rest/jobs/payment as the documentation says, against an
in-memory ledger loaded from a CSV; a restart starts fresh from the CSV.
"""

from importer.sandbox.app import SandboxState, create_app
from importer.sandbox.ledger import Invoice, Ledger
from importer.sandbox.server import SandboxServer

__all__ = ["Invoice", "Ledger", "SandboxServer", "SandboxState", "create_app"]
