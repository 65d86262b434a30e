"""IsDataAvailable: the changes since a version the client knows, per notification type
(PASI's change synchronization; docs/read-services.md)."""
