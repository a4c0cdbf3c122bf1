"""Administration: users (role, estates, deactivation) and estate settings."""
