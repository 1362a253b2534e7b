"""Long work as jobs: a county's settlement is started by one call that
answers at once (the gateway's 202 with a Location), then run by a timer in
the background with its phase and progress recorded; it succeeds in the same
transaction that posts the ledger, so a process killed mid-job leaves the job
running with a stale heartbeat and nothing posted — the next worker resumes it
and the ledger is posted exactly once."""

from __future__ import annotations

import time

import eventlet
from doudi_common.entrypoints import config_timer, rpc
from doudi_common.errors import DoudiError, NotFound
from doudi_common.logs import get_logger
from doudi_common.metrics import BUCKETS
from prometheus_client import Counter, Histogram

from doudi_funding.domain import jobs as job_rules
from doudi_funding.domain.days import check_month
from doudi_funding.domain.settlement import check_month_over
from doudi_funding.schemas import county_arg, run_reply
from doudi_funding.store import jobs as job_store
from doudi_funding.store.settlement import settle_county_month

log = get_logger(__name__)

SETTLEMENT = "settlement"

#: settlement jobs for operators (doudi_common.metrics has the families every
#: service exports; these are funding's own)
JOBS = Counter("doudi_settlement_jobs_total",
               "Settlement jobs finished, by outcome (succeeded; refused: the month "
               "could not be settled as asked; failed: a bug)", ["outcome"])
JOB_SECONDS = Histogram("doudi_settlement_job_duration_seconds",
                        "Time a settlement job ran, to its end", ["outcome"],
                        buckets=(*BUCKETS, 60.0, 120.0, 300.0, 600.0))
CASES_SETTLED = Counter("doudi_settlement_cases_settled_total",
                        "Placements and home-care cases settled by succeeded jobs")


class Jobs:
    @rpc
    def start_settlement(self, division_code: str, month: str, requested_by: str) -> dict:
        """A county's month to settle in the background: the job (the same one
        when it was asked for before)."""
        county, month = county_arg(division_code), check_month(month)
        check_month_over(month, self.clock.month())
        row = job_store.create(self.db.session, kind=SETTLEMENT,
                               key=job_rules.settlement_key(county, month), county=county,
                               params={"division_code": county, "month": month},
                               by=str(requested_by)[:64], now=self.clock.now())
        return job_rules.reply(row)

    @rpc
    def get_job(self, job_id: str) -> dict:
        row = job_store.get(self.db.session, str(job_id)[:40])
        if row is None:
            raise NotFound("未找到该任务", resource="job")
        return job_rules.reply(row)

    @rpc
    def list_jobs(self, requested_by: str) -> dict:
        rows = job_store.of_requester(self.db.session, str(requested_by)[:64])
        return {"items": [job_rules.reply(r) for r in rows], "total": len(rows)}

    @config_timer("JOB_INTERVAL", 0.25)  # a queued job starts within a quarter second
    def run_jobs(self) -> str | None:
        """Run the next job (or resume an abandoned one); one per tick."""
        stale = job_rules.stale_before(self.clock.now(),
                                       float(self.config.get("JOB_STALE_SECONDS", 60)))
        with self.db.separate() as uow:
            job = job_store.claim(uow.session, self.clock.now(), stale)
        if job is None:
            return None
        started, outcome = time.perf_counter(), "failed"
        try:
            CASES_SETTLED.inc(self._settle(job))
            outcome = "succeeded"
        except DoudiError as exc:
            outcome = "refused"
            self._failed(job, {"status": exc.status, "code": exc.code, "detail": exc.detail,
                               "fields": {k: str(v) for k, v in exc.fields.items()}})
        except Exception as exc:
            log.exception("job failed", job_id=job["job_id"])
            self._failed(job, {"status": 500, "code": "bug",
                               "detail": f"结算任务出错：{type(exc).__name__}"})
        finally:
            JOBS.labels(outcome).inc()
            JOB_SECONDS.labels(outcome).observe(time.perf_counter() - started)
        return job["job_id"]

    def _settle(self, job: dict) -> int:
        """Settle the job's month; returns the cases settled."""
        params, job_id = job["params"], job["job_id"]
        live = self.db.dialect != "sqlite"  # SQLite has one writer: progress at the end only

        def progress(phase: str, done: int, total: int | None) -> None:
            if live:
                with self.db.separate() as uow:
                    job_store.progress(uow.session, job_id, phase, done, total,
                                       self.clock.now())
            # the settling is CPU work in one green thread: let the process
            # answer get_job (the progress bar) and its other RPCs between chunks
            eventlet.sleep(0)

        with self.db.separate() as uow:
            run, rerun = settle_county_month(uow, params["division_code"], params["month"],
                                             self.clock.now(), progress=progress)
            job_store.succeed(uow.session, job_id, run_reply(run, rerun), self.clock.now())
        log.info("settlement job done", job_id=job_id, settlement_id=run["settlement_id"])
        return int(run["cases"])

    def _failed(self, job: dict, error: dict) -> None:
        with self.db.separate() as uow:
            job_store.fail(uow.session, job["job_id"], {"type": "about:blank", **error},
                           self.clock.now())
