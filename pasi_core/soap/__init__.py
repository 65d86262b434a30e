"""The hardened SOAP 1.1 boundary: parsing, validation, faults, WSGI gateway."""
