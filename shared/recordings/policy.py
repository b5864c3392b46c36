"""What the recordings domain reads of the configuration: the few settings its use cases are given (built
once, in the composition root, from :class:`~shared.support.config.Settings`), never the settings themselves."""

from datetime import timedelta

from shared.support.config import LiveApi, Settings
from shared.support.records import Record
from shared.tencent.generations import ONE_DAY, Generation, generation


class Policy(Record):
    __slots__ = ()
    api: LiveApi
    timeout: float = 10.0  # LIVE_TIMEOUT: what one call to Tencent may take
    unknown_outcome: str = "report"  # LIVEREC_UNKNOWN_OUTCOME where the generation cannot look tasks up
    domain: str | None = None  # LIVE_DOMAIN, LIVE_APP: a request's defaults
    app: str | None = None
    rollout_horizon: int = 0  # LIVEREC_ROLLOUT_HORIZON (seconds), where the generation sets no start limit
    coverage_threshold: float = 0.95  # LIVEREC_COVERAGE_THRESHOLD: an ended recording under it is short
    live_check: bool = True  # LIVEREC_LIVE_CHECK=refuse: a highlight asks whether its stream is live
    concurrent_limit: int | None = None  # LIVEREC_CONCURRENT_LIMIT

    @property
    def generation(self) -> Generation:
        return generation(self.api)

    @property
    def lists_tasks(self) -> bool:
        return self.generation.lists is not None

    @property
    def horizon(self) -> timedelta:
        """How far ahead a tick books: the generation's start limit where it has one, else the setting."""
        return self.generation.start_horizon or timedelta(seconds=self.rollout_horizon) or ONE_DAY

    @property
    def capacity(self) -> tuple[int | None, str | None]:
        """The concurrent-recording limit the programs are held to, and where it comes from: the setting
        (``LIVEREC_CONCURRENT_LIMIT``), else the generation's documented limit, else none (None, None)."""
        if self.concurrent_limit is not None:
            return self.concurrent_limit, "setting"
        documented = self.generation.running_limit
        return documented, ("generation" if documented is not None else None)


def policy_of(settings: Settings) -> Policy:
    """The domain's part of the configuration."""
    return Policy(
        api=settings.api,
        timeout=settings.timeout,
        unknown_outcome=settings.unknown_outcome,
        domain=settings.domain,
        app=settings.app,
        rollout_horizon=settings.rollout_horizon,
        coverage_threshold=settings.coverage_threshold,
        live_check=settings.live_check == "refuse",
        concurrent_limit=settings.concurrent_limit,
    )
