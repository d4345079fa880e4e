"""migrator: move a Harvest v1 or FreshBooks Classic account into Harvest API v2."""

from __future__ import annotations

__version__ = "0.1.0"
CONTACT = "migrator@example.com"
USER_AGENT = f"migrator/{__version__} ({CONTACT})"
