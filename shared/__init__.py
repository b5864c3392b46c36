"""liverec's code layer: configuration, signing, validation and the per-generation Tencent Live adapters.

Nothing here reads the environment or opens a connection at import time.
"""
