"""Database engines and the helpers every domain uses to reach them."""
