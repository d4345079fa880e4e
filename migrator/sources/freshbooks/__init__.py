"""FreshBooks Classic source: saved `<response status="ok">` bodies of the XML-RPC style API.

`reader.FreshBooksReader` knows the envelope and what it may hold (the reading itself is the shared
`sources.reader` skeleton); `fields` how FreshBooks writes a field (containers, deprecated elements);
`paging` checks list pages across files; `records` holds the typed models.
"""
