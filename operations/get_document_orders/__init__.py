"""GetDocumentOrders (PASISystem): the placed document orders of students, by ASN."""
