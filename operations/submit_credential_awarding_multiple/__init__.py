"""SubmitCredentialAwardingMultiple: award each listed student the highest-order credential achieved."""
