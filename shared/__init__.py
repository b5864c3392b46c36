"""liverec's code, in layers that import only downwards (ARCHITECTURE.md draws them):

- ``app``: the composition root, building the pieces once per container;
- ``edge``: the HTTP edge (resolver, auth, the one error mapping, response models);
- ``webhooks``: callers that sign (Tencent's callbacks, signed hooks) and the outbox of forwards;
- ``recordings``: the domain (inputs, the generations' rules, create exactly once, programs, the rollout);
- ``storage``: the recordings ledger and the webhook state, in-process and on DynamoDB;
- ``tencent``: the four generations behind one adapter interface, and the capability table;
- ``support``: configuration, errors, observability, time, keep-alive, SigV4.

Nothing here reads the environment or opens a connection at import time.
"""

# The release: pyproject.toml's [project] version, the one source, which tests/unit/test_version.py holds this
# to. A constant, not importlib.metadata: reading the installed metadata costs every cold start a few ms, and
# the Lambda zip carries no dist-info to read.
__version__ = "0.1.0"
