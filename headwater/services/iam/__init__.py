"""IAM: roles and managed policies, stored (not evaluated) for the services that take a role."""
