"""The client's path: the agreement and its goals, and reviews with a structured interview."""
