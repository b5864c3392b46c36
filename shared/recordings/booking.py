"""What a timer tick books with: its collaborators, named (built once, in the composition root)."""

from shared.recordings.creating import CreateOnce
from shared.recordings.finding import TaskFinder
from shared.recordings.policy import Policy
from shared.recordings.stopping import Stopper
from shared.storage.ledger import Ledger
from shared.support.records import Record
from shared.support.timeutil import Clock
from shared.tencent.adapter import Sleep


class Booking(Record):
    __slots__ = ()
    creator: CreateOnce  # create exactly once, adopt a task found
    finder: TaskFinder  # a stream's tasks at Tencent (adopting what another container booked)
    stopper: Stopper  # cancel what a program deleted during the tick booked
    ledger: Ledger  # the summaries, the entries, the bookings by stream
    policy: Policy
    clock: Clock
    sleep: Sleep  # the pacing's wait, measured by ``monotonic``
    monotonic: Clock
