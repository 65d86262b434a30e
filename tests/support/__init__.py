"""Test helpers: the fixture province, a live server, SOAP clients."""
