"""The four generations of Tencent's recording API, one adapter module each behind :class:`LiveAdapter`, and
the capability table that says what each can do (:mod:`shared.tencent.generations`).

``get_adapter`` imports only the configured generation's module. Every generation talks to Tencent through
one standard-library transport (``transport.py``); Tencent's errors are classified where they are read.
"""
