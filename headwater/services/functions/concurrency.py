"""Concurrency: the account's limit, functions' reserved concurrency, and who is running now.

A function with reserved concurrency runs at most that many invocations at once, out of its own
share; every other function shares what the reservations leave of the account limit. An
invocation over either limit is refused with TooManyRequestsException (429) and the Reason Lambda
gives. Reservations must leave the unreserved share at least its minimum (100 with the default
limit of 1,000; a tenth of a smaller configured limit).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from headwater.protocol.errors import AwsError

UNRESERVED_MINIMUM = 100


def throttled(reason: str) -> AwsError:
    return AwsError(
        "TooManyRequestsException",
        "Rate Exceeded.",
        429,
        details={"Reason": reason, "Type": "User"},
        headers={"Retry-After": "1"},
    )


@dataclass(slots=True)
class Concurrency:
    account_limit: int
    running: Counter[str] = field(default_factory=Counter)  # function key -> invocations running
    reserved: dict[str, int] = field(default_factory=dict)  # function key -> reservation

    def minimum_unreserved(self) -> int:
        return min(UNRESERVED_MINIMUM, self.account_limit // 10)

    def unreserved(self, account_prefix: str, excluding: str | None = None) -> int:
        """What the account's reservations leave (optionally as if `excluding` had none)."""
        taken = sum(
            value
            for key, value in self.reserved.items()
            if key.startswith(account_prefix) and key != excluding
        )
        return self.account_limit - taken

    def can_reserve(self, key: str, value: int) -> bool:
        account = key.split("/", 1)[0] + "/"
        return self.unreserved(account, excluding=key) - value >= self.minimum_unreserved()

    def admit(self, key: str) -> None:
        """Counts an invocation in, or raises TooManyRequestsException."""
        reservation = self.reserved.get(key)
        if reservation is not None:
            if self.running[key] >= reservation:
                raise throttled("ReservedFunctionConcurrentInvocationLimitExceeded")
        else:
            account = key.split("/", 1)[0] + "/"
            shared = sum(
                count
                for other, count in self.running.items()
                if other.startswith(account) and other not in self.reserved
            )
            if shared >= self.unreserved(account):
                raise throttled("ConcurrentInvocationLimitExceeded")
        self.running[key] += 1

    def leave(self, key: str) -> None:
        self.running[key] -= 1
        if self.running[key] <= 0:
            del self.running[key]
