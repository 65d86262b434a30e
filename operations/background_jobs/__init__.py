"""Work done outside any web request by the job runner (``pasi-core worker``)."""
