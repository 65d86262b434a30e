"""One package per published operation: its contract, rules and handler."""
