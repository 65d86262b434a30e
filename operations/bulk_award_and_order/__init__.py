"""Award and Order Credentials in Bulk: Student Records' search, run and CSV reports."""
