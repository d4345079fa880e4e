"""FreshBooks Classic source: saved `<response status="ok">` bodies of the XML-RPC style API."""
