"""The Harvest v2 side: payload models and the HTTP client (the built-in sandbox is `migrator.sandbox`)."""
