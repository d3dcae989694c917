"""AWS IoT policies: documents (`parse_policy`), the policy engine (`PolicyEngine`, the broker's
`Authorizer`), TestAuthorization / GetEffectivePolicies and the explain view."""

from headwater.services.iot.authz.documents import PolicyDocument, malformed, parse_policy, policy_problem
from headwater.services.iot.authz.engine import Evaluation, PolicyEngine

__all__ = ["Evaluation", "PolicyDocument", "PolicyEngine", "malformed", "parse_policy", "policy_problem"]
