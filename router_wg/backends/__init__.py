"""Side effects: small backends, each behind a narrow interface."""
