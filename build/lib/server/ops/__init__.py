"""Running Rinnalla: backups that restore."""
