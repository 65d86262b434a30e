"""Credential documents (issue 12): from an Ordered credential order item to a printed credential
and its letter, delivered to the print service provider, with PASI's status changes and the
myPass notifications (reference pasi-credentials.md §3.4-3.7)."""
