"""The FastAPI application: `create_app(settings)` wires everything once, in the lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI

from api import campaigns as campaign_pages
from api import cases as case_pages
from api import crm, docs, errors, flows_page
from api import inbox as inbox_pages
from api import reports as report_pages
from api import web as web_pages
from api.body_limit import MULTIPART_OVERHEAD, BodyLimitMiddleware, CredentialsFirstMiddleware
from api.health_server import metrics_app, serve_side_app
from api.middleware import ObservabilityMiddleware
from api.reviews import answer_page as review_answers
from api.reviews import pages as review_pages
from api.reviews import webhook as review_webhook
from api.routes import channel_api, crm_webhooks, csat, files, health, telegram, viber, voice, webchat, whatsapp
from api.wiring import running_hub
from connectors.mail_poller import run_mail_poller
from hub.cases import case_config
from hub.inbound import acceptor
from hub.settings import Settings
from hub.worker import run_worker
from models.channels import Channel

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> FastAPI:
    """The app for these settings; the stores, bus and (embedded) worker start with its lifespan."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running_hub(settings) as hub:
            app.state.hub, app.state.reports = hub, hub.report_store
            case_config(hub)  # an invalid case catalogue or calendars file stops the start, naming the file
            stop = asyncio.Event()
            background = [asyncio.create_task(run_worker(hub, stop))] if settings.runs_worker_in_api else []
            if settings.metrics_port is not None:  # Prometheus without a token, on a port of its own
                background.append(asyncio.create_task(
                    serve_side_app(metrics_app(), settings.metrics_host, settings.metrics_port, stop)))
            if settings.runs_worker_in_api and settings.read_mail_in_api:  # one process: mailboxes are read here too
                background += [asyncio.create_task(run_mail_poller(acceptor(hub), hub.stores.cursors, account, stop))
                               for account in hub.accounts if account.channel is Channel.EMAIL]
            try:
                yield
            finally:
                stop.set()
                for task in background:
                    with suppress(asyncio.CancelledError):
                        await asyncio.wait_for(task, timeout=10)

    app = FastAPI(
        title="Otklik", version="0.1.0", lifespan=lifespan,
        description="Omnichannel customer-feedback hub: channel webhooks, web chat, CRM API.",
        docs_url=None, redoc_url=None,  # /docs from local assets (api/docs.py): it works offline
    )
    # The channels' webhooks first: routes are matched in order, a regex each, and these carry the traffic.
    app.include_router(health.router)
    app.include_router(channel_api.router)
    for channel in (telegram, whatsapp, viber, voice):
        app.include_router(channel.router)
    if settings.webchat_enabled:
        app.include_router(webchat.router)
    errors.install(app)
    docs.install(app)
    web_pages.install(app)  # static files, sign-in and admin pages, web auth failures
    uploads = {r"/cases/[^/]+/attachments": settings.case_file_max_bytes + MULTIPART_OVERHEAD}
    uploads[r"/inbox/conversations/[^/]+/reply"] = (  # the reply's files, its text and the form fields
        settings.reply_file_max_count * (settings.reply_file_max_bytes + MULTIPART_OVERHEAD) + 100_000)
    # Outermost last: every request is logged; bodies are limited as they stream; anonymous senders to the token
    # API and the upload routes are refused before their body is read.
    app.add_middleware(CredentialsFirstMiddleware, session_paths=list(uploads))
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes, upload_limits=uploads)
    app.add_middleware(ObservabilityMiddleware)
    app.include_router(inbox_pages.router)  # the operator inbox: pages, actions, live updates
    app.include_router(case_pages.router)  # case list and case pages for stores and specialists
    app.include_router(flows_page.router)  # /dialogs: which bot flows are served, why a change was refused
    app.include_router(crm.router)  # the CRM REST API, /api/v1
    for router in report_pages.routers:  # /reports pages and /api/v1/reports (issue 17)
        app.include_router(router)
    app.include_router(campaign_pages.router)  # /campaigns: marketing's campaign pages (issue 19)
    app.include_router(files.router)  # signed links to files sent in operators' replies
    app.include_router(crm_webhooks.router)
    app.include_router(csat.router)  # one-click rating links of CSAT e-mails
    app.include_router(review_webhook.router)  # the review aggregator's signed deliveries
    app.include_router(review_pages.router)  # /reviews: review monitoring
    app.include_router(review_answers.router)  # /reviews/r/{id}: a review and its public reply
    return app
