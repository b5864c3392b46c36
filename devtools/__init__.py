"""Local-only tooling (the Tencent Live emulator, later the local gateway). Never deployed."""
