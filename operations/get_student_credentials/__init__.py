"""GetStudentCredentials (PASISystem): the credentials of students, by ASN, with their statuses."""
