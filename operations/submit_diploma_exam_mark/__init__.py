"""SubmitDiplomaExamMark: add, update, delete and restore diploma exam marks in batches."""
