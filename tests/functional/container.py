"""One Lambda container in a process of its own, for the tests that kill one in the middle of a call.

``python -m tests.functional.container FUNCTION AT`` reads one event (JSON) on stdin, invokes that function's
``lambda_handler`` with the wall clock stopped at ``AT`` (UNIX seconds, the emulator's frozen time) and a
context with 29 s left (the HTTP functions' timeout), and prints the result as JSON. Configuration comes
from the environment, as in Lambda.
"""

from __future__ import annotations

import importlib
import json
import sys

from devtools.kit import LambdaContext


def main() -> int:
    function, at = sys.argv[1], float(sys.argv[2])
    from shared.app import use_clock

    use_clock(lambda: at)
    handler = importlib.import_module(f"functions.{function}.handler")
    result = handler.lambda_handler(
        json.loads(sys.stdin.read()), LambdaContext(function_name="liverec-container")
    )
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
