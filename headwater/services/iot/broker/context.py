"""What every part of the broker shares: the mode and its limits, the clock, the store, the
authorizer and certificates (other parts of the iot service, by contract), and the counters."""

from __future__ import annotations

from dataclasses import dataclass, field

from headwater.runtime.clock import SystemClock
from headwater.services.iot.broker.store import BrokerStore
from headwater.services.iot.contracts import AuthContext, Authorizer, CertificateDirectory

MAX_PAYLOAD = 128 * 1024  # AWS: 128 KB per PUBLISH
MAX_CLIENT_ID = 128  # bytes
MAX_FILTERS_PER_SUBSCRIBE = 8
MAX_SUBSCRIPTIONS = 50  # per connection (an adjustable quota at AWS)
AWS_IN_FLIGHT = 100  # unacknowledged QoS 1 messages each way
RELAXED_IN_FLIGHT = 1000
PUBLISH_RATE = 100.0  # publishes per second per connection
KEEP_ALIVE_MIN, KEEP_ALIVE_MAX = 30, 1200
SLOW_CONSUMER_BYTES = 1 << 20  # a client's unsent bytes past which QoS 0 is dropped, QoS 1 waits
MEMORY_WINDOW = 1000  # QoS 1 messages a session holds in memory; past it: stored only, or backpressure
SLOW_CONSUMER_DEADLINE = (
    10.0  # seconds a full clean session may hold its publishers before it is disconnected
)


@dataclass(slots=True)
class Counters:
    qos0_dropped_slow: int = 0  # QoS 0 messages a slow consumer did not get
    qos0_held: int = 0  # QoS 0 messages to a client that was behind, their publisher held (hold.py)
    qos1_backpressure: int = 0  # QoS 1 messages a full clean session made their publisher wait for
    slow_consumers_disconnected: int = 0  # subscribers that kept their publishers waiting too long
    expired_dropped: int = 0
    throttled: int = 0
    routed: int = 0


@dataclass(slots=True)
class BrokerContext:
    aws: bool  # AWS-exact mode (limits, QoS 2 as AWS); False: relaxed
    clock: SystemClock
    store: BrokerStore
    authorizer: Authorizer | None  # None: nothing is checked (until the policy engine is wired)
    certificates: CertificateDirectory | None
    default_account: str
    default_region: str
    session_expiry: float  # seconds a persistent session outlives its connection
    replay_rate: float = 0.0  # stored messages per second on resume (AWS mode; 0: unpaced)
    counters: Counters = field(default_factory=Counters)

    def allowed(self, auth: AuthContext | None, action: str, resource: str) -> bool:
        # IoT policies bind certificates; a SigV4 signer is authorized by IAM at AWS (Headwater's
        # HTTP front door already checked its signature) and relaxed mode's anonymous clients by nothing
        if self.authorizer is None or auth is None or auth.principal_arn is None:
            return True
        return self.authorizer.authorize(auth, action, resource).allowed


def arn(region: str, account: str, kind: str, name: str) -> str:
    return f"arn:aws:iot:{region}:{account}:{kind}/{name}"
