"""Referrals: a client sent to a service, followed until the outcome is known (tables in the services app)."""
