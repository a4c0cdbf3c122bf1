"""The admin devices page: each phone with its user, last sync and pending ops; revoke one."""
