"""ConstructDocumentOrder: create, or update while not yet Ordered, a document order (all or nothing)."""
