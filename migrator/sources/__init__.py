"""Source adapters: read legacy exports (Harvest v1 XML, FreshBooks Classic XML) safely and lazily."""

from migrator.sources.export import SourceExport, read_exports

__all__ = ["SourceExport", "read_exports"]
