"""List Credentials to Review (reference pasi-credentials.md §1.3): the follow-up the bulk run
leaves to Student Records."""
