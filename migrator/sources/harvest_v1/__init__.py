"""Harvest API v1 (legacy XML) source: saved responses of the REST and `/daily` endpoints.

`reader.HarvestV1Reader` says which root holds which records (the reading itself is the shared
`sources.reader` skeleton); `fields` how v1 writes a field (dashes, `nil`, `type="array"`);
`records` holds the typed models (coercion by field, never by the wire's `type=`), and
`csv_lines` parses the `csv-line-items` text of a single invoice.
"""

from __future__ import annotations
