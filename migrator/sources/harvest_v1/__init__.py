"""Harvest API v1 (legacy XML) source: saved responses of the REST and `/daily` endpoints.

`reader.HarvestV1Reader` routes each file by its root element and streams raw records;
`records` holds the typed models (coercion by field, never by the wire's `type=`), and
`csv_lines` parses the `csv-line-items` text of a single invoice.
"""

from __future__ import annotations
