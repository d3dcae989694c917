"""The one error a bad filter pattern raises, with the text Lambda answers.

Lambda's CreateEventSourceMapping and UpdateEventSourceMapping answer every malformed pattern with
InvalidParameterValueException and the same message, ``Invalid filter pattern definition.`` (quoted
from AWS in public issue threads: aws-cdk#23057, serverless#12131; CloudFormation prefixes it with
"Invalid request provided: "). Lambda does not say what is wrong, so ``reason`` keeps the detail
(worded after EventBridge's pattern compiler) for Headwater's logs and tests.
"""

from __future__ import annotations

INVALID_FILTER_PATTERN = "Invalid filter pattern definition."
ERROR_CODE = "InvalidParameterValueException"


class PatternError(ValueError):
    """A filter pattern (or a FilterCriteria) Lambda would refuse.

    ``message`` is the text AWS answers; ``reason`` says which rule the pattern broke.
    """

    code = ERROR_CODE

    def __init__(self, reason: str, message: str = INVALID_FILTER_PATTERN) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason

    def __repr__(self) -> str:
        return f"PatternError({self.message!r}, reason={self.reason!r})"
