"""The explorer's web application (Starlette): the page, and a small JSON API behind it.

Routes
------
``GET  /``                                   the page (``static/index.html``, ``app.js``, ``style.css``)
``GET  /api/meta``                           levers, KPIs (labels, units, definitions), charts, limits
``GET  /api/scenarios``                      the scenarios to pick from and the one selected first
``GET  /api/scenarios/{id}``                 one scenario: lever defaults and what it can use
``POST /api/scenarios?filename=NAME``        upload a scenario (the body is the YAML file)
``POST /api/preview``                        overrides, command lines and derived texts of lever settings
``POST /api/yaml``                           the complete scenario of lever settings, as YAML
``POST /api/runs``                           start an experiment (one at a time: 409 while one runs)
``GET  /api/runs/{id}[?against=ID]``         its state and progress; its KPI numbers and texts when done
                                             (and their change from the pinned run ID)
``POST /api/runs/{id}/cancel``               cancel it
``GET  /api/runs/{id}/charts/{name}.png``    a chart of the variant's run (``?lang=id``)
``GET  /api/runs/{id}/experiment.zip``       the experiment folder with charts and report (``?lang=id``)
``GET  /api/runs/{id}/scenario.yaml``        the scenario file the run used for your settings

Bodies of ``preview``, ``yaml`` and ``runs``: ``{"scenario": ID, "levers": {...}}`` with the
fields of :class:`~simulator.explorer.controls.LeverSettings`, sent as ``application/json``
(an upload as ``application/yaml``; other types 415). Bad lever values give 422 with one line per
problem; a bad upload gives 422 with the problems as ``eipsim validate`` prints them. Every
request first passes :mod:`.guard` (Host, Origin, the page's token, body size).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import __version__
from ..errors import ScenarioError
from . import controls, panels
from .catalogue import MAX_UPLOAD_BYTES, Catalogue, Entry, UploadRefused
from .guard import Guard, HostCheck, new_token
from .jobs import DONE, Busy, ExperimentSpec, JobRunner

STATIC = Path(__file__).parent / "static"
TOKEN_MARK = "__EIPSIM_TOKEN__"
JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "application/octet-stream")
SETTINGS_SHAPE = 'the request body must be JSON: {"scenario": ID, "levers": {...}}'


class ApiError(Exception):
    """An answer other than 200: status code, message and optional extra fields."""

    def __init__(self, status: int, message: str, **extra):
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


def create_app(catalogue: Catalogue, runner: JobRunner, bind: str = "127.0.0.1", token: str | None = None) -> Starlette:
    """The application over a scenario catalogue and a job runner.

    ``bind``: the address the server listens on; ``Host`` headers must name it (see
    :class:`.guard.HostCheck`). ``token``: the token the page sends with every change (default a
    new random one; the application keeps it as ``app.state.token``).
    """
    token = token or new_token()
    index = (STATIC / "index.html").read_text(encoding="utf-8").replace(TOKEN_MARK, token)

    def entry_of(entry_id: str) -> Entry:
        entry = catalogue.get(entry_id)
        if entry is None:
            raise ApiError(404, f"unknown scenario {entry_id!r}")
        return entry

    def job_of(job_id: str):
        job = runner.get(job_id)
        if job is None:
            raise ApiError(404, f"unknown run {job_id!r}")
        return job

    def done_job(job_id: str):
        job = job_of(job_id)
        if job.state != DONE:
            raise ApiError(409, f"run {job_id} is {job.state}, not done")
        return job

    async def settings_of(request: Request) -> tuple[Entry, controls.LeverSettings]:
        _require_type(request, JSON_TYPES)
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise ApiError(400, SETTINGS_SHAPE) from None
        except RecursionError:
            raise ApiError(400, f"{SETTINGS_SHAPE}; this one is nested too deeply") from None
        if not isinstance(body, dict) or not isinstance(body.get("scenario"), str):
            raise ApiError(400, SETTINGS_SHAPE)
        entry = entry_of(body["scenario"])
        try:
            settings = controls.parse_settings(body.get("levers"))
            controls.check(entry.info, settings)
        except controls.LeverError as exc:
            raise ApiError(422, "\n".join(exc.problems), problems=exc.problems) from None
        return entry, settings

    async def variant_yaml(entry: Entry, settings: controls.LeverSettings) -> str:
        try:
            return await run_in_threadpool(controls.variant_yaml, entry.path, entry.display, entry.info, settings)
        except ScenarioError as exc:
            raise ApiError(422, exc.report()) from None

    async def page(request: Request) -> Response:
        return HTMLResponse(index, headers={"Cache-Control": "no-store"})

    async def meta(request: Request) -> Response:
        return JSONResponse({
            "version": __version__, "levers": [vars(lever) for lever in controls.LEVERS], "reasons": controls.REASONS,
            "kpis": panels.kpi_meta(), "charts": panels.CHARTS,
            "max_upload_bytes": MAX_UPLOAD_BYTES})

    async def scenarios(request: Request) -> Response:
        return JSONResponse({"scenarios": [e.as_json() for e in catalogue.entries()], "default": catalogue.default})

    async def scenario(request: Request) -> Response:
        entry = entry_of(request.path_params["id"])
        return JSONResponse({**entry.as_json(), "info": entry.info.as_json()})

    async def upload(request: Request) -> Response:
        _require_type(request, YAML_TYPES)
        filename = request.query_params.get("filename", "scenario.yaml")
        data = await request.body()             # the guard stops a body above its limit while it streams
        try:
            entry = await run_in_threadpool(catalogue.upload, filename, data)
        except UploadRefused as exc:
            raise ApiError(exc.status, str(exc)) from None
        except ScenarioError as exc:
            raise ApiError(422, exc.report()) from None
        return JSONResponse({**entry.as_json(), "info": entry.info.as_json()}, status_code=201)

    async def preview(request: Request) -> Response:
        entry, settings = await settings_of(request)
        sets = controls.overrides(entry.info, settings)
        return JSONResponse({"overrides": {"common": sets.common, "variant": sets.variant},
                             "commands": controls.commands(entry.display, entry.info, settings),
                             "derived": controls.derived(entry.info, settings)})

    async def yaml_file(request: Request) -> Response:
        entry, settings = await settings_of(request)
        text = await variant_yaml(entry, settings)
        return _yaml_response(text, f"{controls.variant_name(entry.info)}.yaml")

    async def start(request: Request) -> Response:
        entry, settings = await settings_of(request)
        text = await variant_yaml(entry, settings)
        sets = controls.overrides(entry.info, settings)
        commands = controls.commands(entry.display, entry.info, settings)
        spec = ExperimentSpec(baseline=str(entry.path), variant_file=commands["yaml_file"], variant_yaml=text,
                              overrides=sets.common, replications=settings.replications, seed=settings.seed,
                              argv=tuple(controls.compare_argv(entry.display, entry.info, settings)))
        meta = {"scenario": entry.as_json(), "currency": entry.info.currency, "levers": settings.model_dump(),
                "changed": controls.changed(entry.info, settings),
                "changed_text": controls.setting_texts(entry.info, settings), "commands": commands,
                "overrides": {"common": sets.common, "variant": sets.variant}}
        try:
            job = runner.submit(spec, meta)
        except Busy as exc:
            raise ApiError(409, str(exc), running=exc.job.snapshot()) from None
        return JSONResponse(job.snapshot(), status_code=202)

    async def status(request: Request) -> Response:
        job = job_of(request.path_params["id"])
        answer = {**job.snapshot(), **job.meta}
        if job.state == DONE:
            baseline, variant = panels.arms(job.experiment)
            kpis = await run_in_threadpool(panels.kpi_values, job.experiment)
            answer.update(baseline=baseline, variant=variant, folder=_shown(job.experiment), kpis=kpis)
            if "against" in request.query_params:
                pinned = done_job(request.query_params["against"])
                answer["changes"] = panels.changes(kpis, await run_in_threadpool(panels.kpi_values, pinned.experiment))
        return JSONResponse(answer)

    async def cancel(request: Request) -> Response:
        job = runner.cancel(request.path_params["id"])
        if job is None:
            raise ApiError(404, f"unknown run {request.path_params['id']!r}")
        return JSONResponse(job.snapshot())

    async def chart(request: Request) -> Response:
        job = done_job(request.path_params["id"])
        name, lang = request.path_params["name"], _lang(request)
        if name not in panels.CHARTS:
            raise ApiError(404, f"unknown chart {name!r}; charts: {', '.join(panels.CHARTS)}")
        png = await run_in_threadpool(panels.chart_png, job.experiment, panels.arms(job.experiment)[1], name, lang)
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    async def archive(request: Request) -> Response:
        job = done_job(request.path_params["id"])
        path = await run_in_threadpool(panels.package, job.experiment, _lang(request))
        return FileResponse(path, media_type="application/zip", filename=path.name)

    async def run_yaml(request: Request) -> Response:
        job = done_job(request.path_params["id"])
        return _yaml_response(job.spec.variant_yaml, job.spec.variant_file)

    async def api_error(request: Request, exc: ApiError) -> Response:
        return JSONResponse({"error": exc.message, **exc.extra}, status_code=exc.status)

    routes = [
        Route("/", page),
        Route("/api/meta", meta),
        Route("/api/scenarios", scenarios),
        Route("/api/scenarios", upload, methods=["POST"]),
        Route("/api/scenarios/{id}", scenario),
        Route("/api/preview", preview, methods=["POST"]),
        Route("/api/yaml", yaml_file, methods=["POST"]),
        Route("/api/runs", start, methods=["POST"]),
        Route("/api/runs/{id}", status),
        Route("/api/runs/{id}/cancel", cancel, methods=["POST"]),
        Route("/api/runs/{id}/charts/{name}.png", chart),
        Route("/api/runs/{id}/experiment.zip", archive),
        Route("/api/runs/{id}/scenario.yaml", run_yaml),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = [Middleware(Guard, hosts=HostCheck(bind), token=token, max_body=MAX_UPLOAD_BYTES)]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        yield
        await run_in_threadpool(runner.close)

    app = Starlette(routes=routes, middleware=middleware, exception_handlers={ApiError: api_error}, lifespan=lifespan)
    app.state.token = token
    return app


def _require_type(request: Request, accepted: tuple[str, ...]) -> None:
    """Raise 415 unless the body's Content-Type is one of ``accepted`` (parameters ignored)."""
    given = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if given not in accepted:
        raise ApiError(415, f"Content-Type must be {' or '.join(accepted)}, got {given or 'none'!r}")


def _shown(folder: Path) -> str:
    """A result folder as the page shows it: relative to where the explorer was started, if inside."""
    try:
        return str(folder.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(folder)


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang", "en")
    if lang not in panels.LANGUAGES:
        raise ApiError(422, f"lang must be one of {', '.join(panels.LANGUAGES)}, got {lang!r}")
    return lang


def _yaml_response(text: str, filename: str) -> Response:
    return Response(text, media_type="application/yaml",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
