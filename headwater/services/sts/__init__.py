"""AWS STS: caller identities and temporary credentials that act in a role's account."""
