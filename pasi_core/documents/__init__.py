"""Credential documents as PDFs, and where they go: the rendering adapter (reportlab, with
templates a person can edit and the DejaVu fonts shipped here), the documents folder, the
delivery targets of print jobs (a folder, SFTP) and the outbox's sink.  An adapter beside
persistence: it implements ports of operations/credential_documents."""
