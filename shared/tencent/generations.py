"""The capability table: one frozen row per generation of Tencent's recording API, and everything liverec
must know about it. The rules, the rollout, the service, the HTTP edge and the callbacks read these fields;
nothing else asks which generation is configured. A fifth generation is one adapter module and one row.

Each value is what Tencent's page for that create action states (CreateRecordTask:
https://www.tencentcloud.com/document/product/267/37309 ; CreateLiveRecord, v2 CreateRecord and fcgi
Live_Tape_Start: the live-streaming API pages of their time), and the codes are from the per-action error
lists in Tencent's SDKs; where a value is our choice, its comment says so.

It reads only the configuration (the bottom layer): every layer above may read it.
"""

from datetime import timedelta
from typing import Literal

from shared.support.config import LiveApi, Settings
from shared.support.errors import ConfigError
from shared.support.records import Record

ONE_DAY = timedelta(days=1)
# API 3.0 codes that refuse the request itself, which a retry cannot change (UnknownParameter is not one:
# it means liverec sent a name Tencent does not know, a fault of ours).
API3_INPUT_CODES = frozenset(
    {"InvalidParameter", "InvalidParameterValue", "MissingParameter", "UnsupportedOperation"}
)


class Generation(Record):
    __slots__ = ()
    api: LiveApi
    adapter: str  # "module:Class" under shared.tencent, imported only when this generation is configured
    credentials: Literal["tencentcloud", "fcgi"]  # SecretId/SecretKey, or the fcgi appid and key
    # --- streams ---------------------------------------------------------------------------------------
    names_streams_alone: bool  # a stream is its name; push domain and app are not sent
    requires_domain_app: bool  # the create needs the push domain and app
    # --- windows ---------------------------------------------------------------------------------------
    scheduled_cap: timedelta | None  # longest scheduled window (None: none stated)
    realtime_cap: timedelta  # longest real-time recording
    realtime_over_cap: Literal["reject", "clamp"]  # Tencent refuses a longer one, or silently shortens it
    start_horizon: timedelta | None  # how far ahead a scheduled start may lie (None: not limited)
    end_horizon: timedelta | None  # a scheduled end lies strictly before now + this (None: not limited)
    # --- options and formats -----------------------------------------------------------------------------
    options: frozenset[str]  # the recording options this generation can express
    options_hint: str  # what to use instead of an option it cannot
    formats: frozenset[str] | None  # file formats it records to (None: no format option)
    # --- operations ------------------------------------------------------------------------------------
    lists: Literal["window", "channel"] | None  # look tasks up by time window, by channel, or not at all
    list_window: timedelta | None  # a look-up window must span less than this
    list_lookback: timedelta | None  # and start at most this far back
    describes: str | None  # the call that shows one task's state at Tencent (None: none does)
    stream_state: str | None  # the call that says whether a stream is live (None: the family cannot tell)
    deletes: bool
    delete_stops: bool  # a delete also stops a running recording (False: liverec stops it first)
    # Tencent's word for a task's status (what the adapter reads into TaskInfo.status) -> liverec's status
    # (shared.recordings.status); a word not here, or none, leaves the status to the clock
    statuses: tuple[tuple[str, str], ...]
    rate: float  # documented creates per second (the rollout paces just under it)
    regions: frozenset[str] | None  # where it is offered (None: any LIVE_REGION)
    input_codes: frozenset[str]  # Tencent codes (or their prefixes) that mean "your parameters": HTTP 422
    create_action: str
    # the call that lists the callbacks Tencent sent (a record file whose callback never reached liverec is
    # found there and kept as reconciled); None: no such call in this generation's credentials, no
    # reconciliation (DescribeCallbackRecordsList is API 3.0: v2 and fcgi deployments have no TC3 keys)
    reconciles: str | None = None
    # tasks that may run at once on the account, as documented (None: none stated); LIVEREC_CONCURRENT_LIMIT
    # replaces it (an account's raised quota, or a limit where none is documented)
    running_limit: int | None = None

    def cannot(self, what: str) -> str:
        return f"LIVE_API={self.api.value} cannot {what}"


RECORD_TASK = Generation(
    api=LiveApi.RECORD_TASK,
    adapter="record_task:RecordTaskAdapter",
    credentials="tencentcloud",
    names_streams_alone=False,
    requires_domain_app=True,  # StreamName, DomainName and AppName are all required
    scheduled_cap=ONE_DAY,  # EndTime - StartTime <= 24 h
    realtime_cap=ONE_DAY,  # no real-time cap of its own: the 24 h window limit
    realtime_over_cap="reject",
    start_horizon=timedelta(days=6),  # StartTime <= now + 6 days
    end_horizon=timedelta(days=7),  # EndTime < now + 7 days (sdk: "小于当前时间+7天", strictly less)
    options=frozenset({"template_id", "stream_type"}),
    options_hint="use a recording template (template_id) with LIVE_API=record-task",
    formats=None,  # the template decides
    lists="window",  # DescribeRecordTask: tasks whose start and end both lie in the window
    list_window=timedelta(weeks=1),  # "at most a week": a window is sent under 604800 s
    list_lookback=timedelta(days=90),  # task records are kept three months
    describes="DescribeRecordTask",  # the task among its stream's tasks in its window (Stopped, times)
    stream_state="DescribeLiveStreamState",  # active, inactive or forbid (API 3.0, TC3)
    deletes=True,
    delete_stops=False,  # DeleteRecordTask "does not affect a running task, only new pushes" (sdk)
    statuses=(("stopped", "stopped"),),  # no status field: the adapter says stopped when Stopped is set
    rate=20,  # requests per second
    # The regions CreateRecordTask is offered in (its page lists them).
    regions=frozenset(
        {
            "ap-bangkok",
            "ap-guangzhou",
            "ap-hongkong",
            "ap-jakarta",
            "ap-mumbai",
            "ap-seoul",
            "ap-singapore",
            "ap-tokyo",
            "eu-frankfurt",
            "na-ashburn",
            "na-siliconvalley",
            "na-toronto",
            "sa-saopaulo",
        }
    ),
    input_codes=API3_INPUT_CODES,
    create_action="CreateRecordTask",
    reconciles="DescribeCallbackRecordsList",
)

LIVE_RECORD = Generation(
    api=LiveApi.LIVE_RECORD,
    adapter="live_record:LiveRecordAdapter",
    credentials="tencentcloud",
    names_streams_alone=False,
    requires_domain_app=False,  # DomainName only with several push domains
    scheduled_cap=None,  # start and end required, no length stated
    realtime_cap=timedelta(minutes=30),  # Highlight=1: an end past now + 30 min becomes now + 30 min
    realtime_over_cap="clamp",
    start_horizon=None,
    end_horizon=None,
    options=frozenset({"format", "record_type", "stream_type", "record_interval", "storage_time"}),
    options_hint="CreateLiveRecord has no templates",
    formats=frozenset({"flv", "hls", "mp4", "aac", "mp3"}),
    lists=None,  # the family has no listing call
    list_window=None,
    list_lookback=None,
    describes=None,  # nor a call that shows a task
    stream_state="DescribeLiveStreamState",  # the same API 3.0 call, beside CreateLiveRecord
    deletes=True,  # DeleteLiveRecord deletes the task record; it does not stop a running recording
    delete_stops=False,
    statuses=(),  # no call shows a task
    rate=100,  # requests per second (today's page says 500)
    regions=None,  # Region is not sent
    input_codes=API3_INPUT_CODES,
    create_action="CreateLiveRecord",
    reconciles="DescribeCallbackRecordsList",
    # scheduled mode: "at most 400 tasks running at the same moment" (CreateLiveRecord's page; raised by ticket)
    running_limit=400,
)

V2 = Generation(
    api=LiveApi.V2,
    adapter="v2:V2Adapter",
    credentials="tencentcloud",
    names_streams_alone=True,  # channelId
    requires_domain_app=False,
    scheduled_cap=ONE_DAY,
    realtime_cap=timedelta(minutes=30),  # tapeType=1: at most 30 minutes, longer is shortened
    realtime_over_cap="clamp",
    start_horizon=None,
    end_horizon=None,
    options=frozenset(),
    options_hint="v2 CreateRecord takes only the stream and the window",
    formats=None,
    lists="channel",  # DescribeRecordList: a channel's tasks, paged
    list_window=None,
    list_lookback=None,
    describes="DescribeRecordList",  # the task among its channel's tasks (status, times)
    stream_state=None,  # v2 has no call that says whether a channel is being pushed
    deletes=True,
    delete_stops=True,  # an assumption: DeleteRecord's page does not say it leaves a recording running
    # DescribeRecordList's status 0, 1, 2, 3 (the adapter's words)
    statuses=(
        ("pending", "scheduled"),
        ("running", "recording"),
        ("finished", "finished"),
        ("error", "failed"),
    ),
    rate=10,  # none documented: modest
    regions=None,
    input_codes=frozenset({"4000"}),  # invalid parameters
    create_action="CreateRecord",
)

FCGI = Generation(
    api=LiveApi.FCGI,
    adapter="fcgi:FcgiAdapter",
    credentials="fcgi",
    names_streams_alone=True,  # Param.s.channel_id
    requires_domain_app=False,
    scheduled_cap=ONE_DAY,  # end - start <= 1 day (the older Chinese page said 30 min; the later one a day)
    realtime_cap=timedelta(minutes=30),  # task_sub_type=1: at most 30 minutes, longer is shortened
    realtime_over_cap="clamp",
    start_horizon=None,
    end_horizon=None,
    options=frozenset({"format", "record_type"}),
    options_hint="Live_Tape_Start takes only format and record_type",
    formats=frozenset({"flv", "hls", "mp4", "aac"}),
    lists=None,  # Live_Tape_GetFilelist lists recorded files, not tasks
    list_window=None,
    list_lookback=None,
    describes=None,  # no call shows a task's state
    stream_state=None,  # nor whether a stream is being pushed
    deletes=False,  # no delete call: stop the task instead
    delete_stops=False,  # (no delete)
    statuses=(),  # no call shows a task
    rate=10,  # none documented: modest
    regions=None,
    input_codes=frozenset({"1001"}),  # an assumption: fcgi documents only "non-zero is a failure"
    create_action="Live_Tape_Start",
    # scheduled tasks: 400 running at once, as for CreateLiveRecord (our notes of the fcgi family's limits)
    running_limit=400,
)

GENERATIONS: dict[LiveApi, Generation] = {g.api: g for g in (RECORD_TASK, LIVE_RECORD, V2, FCGI)}


def generation(api: LiveApi | str) -> Generation:
    return GENERATIONS[LiveApi(api)]


def check(settings: Settings) -> None:
    """What the configured generation requires of the configuration: its credentials, and a region it is
    offered in. Raised as a ConfigError naming the variable, when a generation is first chosen."""
    gen = generation(settings.api)
    needed: dict[str, object]
    if gen.credentials == "fcgi":
        needed = {"LIVE_FCGI_APPID": settings.fcgi_appid, "LIVE_FCGI_KEY": settings.fcgi_key}
    else:
        needed = {
            "TENCENTCLOUD_SECRET_ID": settings.secret_id,
            "TENCENTCLOUD_SECRET_KEY": settings.secret_key,
        }
    for var, value in needed.items():
        if value is None:
            raise ConfigError(f"{var} is required when LIVE_API={settings.api.value}", field=var)
    if gen.regions is not None and settings.region not in gen.regions:
        raise ConfigError(
            f"LIVE_REGION={settings.region} is not a region {gen.create_action} supports "
            f"({', '.join(sorted(gen.regions))})",
            field="LIVE_REGION",
        )
