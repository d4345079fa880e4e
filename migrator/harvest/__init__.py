"""The Harvest v2 side: payload models, the HTTP client and the built-in sandbox."""
