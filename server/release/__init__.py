"""The release plan (vapautumissuunnitelma): what must be ready before a client leaves prison."""
