"""GetDiplomaExamMark: exam marks by RefId, each with its Availability Status (docs/read-services.md)."""
