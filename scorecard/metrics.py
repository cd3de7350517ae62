"""What /metrics shows, in the Prometheus text format (prometheus_client).

Ingest totals come from the database at scrape time (batches by source, rows
added and rejected), so they count every way data arrives (uploads, the
inbox, the command line, the API, webhooks) and survive restarts. The rest
is this process's: open live pages, page run times, API requests by status,
messages sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from scorecard.store import Store, default_db_path, open_store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

registry = CollectorRegistry()

PAGE_RUN_SECONDS = Histogram(
    "scorecard_page_run_seconds",
    "Time to run one page script (a render), by page",
    ["page"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0),
    registry=registry,
)
API_REQUESTS = Counter(
    "scorecard_api_requests",
    "HTTP API and webhook requests, by route and status",
    ["route", "status"],
    registry=registry,
)
DELIVERIES = Counter(
    "scorecard_deliveries",
    "Digest and alert delivery attempts, by channel and result",
    ["channel", "result"],
    registry=registry,
)


@contextmanager
def page_run(page: str) -> Iterator[None]:
    """Time one page script run (a rerun cut short by a newer one counts too: it was work done)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        PAGE_RUN_SECONDS.labels(page=page or "main").observe(time.perf_counter() - started)


class _StoreCollector(Collector):
    """Ingest totals and freshness read from the open store at scrape time."""

    def __init__(self, store: Callable[[], Store]) -> None:
        self._store = store

    def collect(self) -> Iterator[Metric]:
        store = self._store()
        batches = CounterMetricFamily("scorecard_batches", "Batches committed, by source", labels=["source"])
        added = CounterMetricFamily("scorecard_events_ingested", "Events added by batches, by source", labels=["source"])
        rejected = CounterMetricFamily("scorecard_rejected_rows", "Rows rejected by batches, by source", labels=["source"])
        for source, n, rows_added, rows_rejected in store.fetchall(
            "SELECT source, count(*), coalesce(sum(rows_added), 0), coalesce(sum(rows_rejected), 0) "
            "FROM batches GROUP BY source ORDER BY source"
        ):
            batches.add_metric([str(source)], float(n))
            added.add_metric([str(source)], float(rows_added))
            rejected.add_metric([str(source)], float(rows_rejected))
        yield batches
        yield added
        yield rejected
        yield GaugeMetricFamily("scorecard_data_version", "Writes committed to the database", value=float(store.data_version()))


class _LiveCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        from scorecard.live import current_live_pages

        live = current_live_pages()
        yield GaugeMetricFamily(
            "scorecard_open_pages", "Live pages open in browsers", value=float(live.open_pages() if live else 0)
        )


registry.register(_StoreCollector(lambda: open_store(default_db_path())))
registry.register(_LiveCollector())


def render() -> bytes:
    return generate_latest(registry)
