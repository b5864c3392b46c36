"""A local Tencent Live emulator: API 3.0 (CreateRecordTask and CreateLiveRecord families), v2 and fcgi.

Standard library only, independent of the package it checks. See README.md beside this file.
"""

from devtools.emulator.core import Clock, Credentials, EmulatorConfig, Faults, RequestRecord, TaskRecord
from devtools.emulator.server import Emulator

__all__ = ["Clock", "Credentials", "Emulator", "EmulatorConfig", "Faults", "RequestRecord", "TaskRecord"]
