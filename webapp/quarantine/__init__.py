"""The quarantine page: rejected ops, kept as sent, for supervisors to review."""
