"""The explorer (``eipsim explore``): its API with Starlette's TestClient, and the page in headless
Chromium driven by Playwright.

What is checked: lever values are validated (422 with one line per problem), uploads are capped
(413) and their errors read exactly as ``eipsim validate`` prints them, one experiment runs at a
time and can be cancelled, the numbers equal those of ``simulator.compare`` and of the command
lines the page shows (same settings and seed), the zip holds the tables and the HTML report, the
YAML download is a scenario ``eipsim run`` loads, and in a real browser: levers, run, KPI cards,
chart, pin-and-compare and the Indonesian labels.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shlex
import socket
import threading
import time
import zipfile
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import simulator
from simulator.cli import main
from simulator.explorer.app import create_app
from simulator.explorer.catalogue import MAX_UPLOAD_BYTES, Catalogue
from simulator.explorer.jobs import JobRunner
from simulator.validation import load_scenario

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "scenarios" / "demo.yaml"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FINISHED = ("done", "failed", "cancelled")


def demo_levers(**changes) -> dict:
    """The demo scenario's own lever values with ``changes``."""
    scenario, _ = load_scenario(DEMO)
    levers = {"land_share": 0.0, "sentra": False, "platform": False, "platform_coverage": 1.0,
              "platform_opens_day": 0, "landfill_tax_per_t": 0.0, "linkage": 0.0, "exchange_subsidy_per_t": 0.0,
              "platform_fee_per_year": 0.0, "truck_link_setup_cost": 2.5e7, "pipeline_cost_per_km": 1.5e10,
              "margin_threshold": 0.0, "horizon_days": 60, "replications": 2, "seed": scenario.run.seed,
              "uncertain": False}
    levers.update(changes)
    return levers


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    """The bundled scenarios (loaded once), shown as scenarios/NAME.yaml as a user in the
    repository types them (wherever the server runs); uploads go to a temporary folder."""
    return Catalogue(tmp_path_factory.mktemp("uploads"))


@pytest.fixture
def explorer(catalogue, tmp_path, monkeypatch):
    """An explorer application with its experiments in ``tmp_path``, run from the repository."""
    monkeypatch.chdir(REPO)  # the command lines shown name scenarios/NAME.yaml: run them from here
    runner = JobRunner(tmp_path / "runs")
    yield create_app(catalogue, runner)
    runner.close()


def page_client(app) -> TestClient:
    """A client as the explorer's own page is: at the address served (127.0.0.1), with its token."""
    return TestClient(app, base_url="http://127.0.0.1:8765", headers={"X-Eipsim-Token": app.state.token})


@pytest.fixture
def client(explorer):
    with page_client(explorer) as test_client:
        yield test_client


def upload(client: TestClient, filename: str, data: bytes):
    """Upload ``data`` as the page does (a YAML body)."""
    return client.post(f"/api/scenarios?filename={filename}", content=data,
                       headers={"Content-Type": "application/yaml"})


def wait(client: TestClient, job_id: str, until=lambda job: job["state"] in FINISHED, timeout: float = 40) -> dict:
    """Poll a run until ``until(job)`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/api/runs/{job_id}").json()
        if until(job):
            return job
        assert time.monotonic() < deadline, f"run still {job['state']} after {timeout} s: {job}"
        time.sleep(0.1)


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def reference_means(tmp_path: Path, common: list[str], variant: list[str], replications: int, seed: int) -> dict:
    """Means of the baseline (``"baseline"``) and variant (``"variant"``) arms per metric, from
    ``simulator.compare`` with the variant given as the scenario with every override applied."""
    variant_scenario, _ = load_scenario(DEMO, overrides=[*common, *variant])
    experiment = simulator.compare([DEMO, variant_scenario], replications=replications, overrides=common, seed=seed,
                                   out=tmp_path / "reference", engine="serial", progress=False, figures=False)
    plan = json.loads((experiment.folder / "plan.json").read_text(encoding="utf-8"))
    labels = dict(zip((arm["label"] for arm in plan["arms"]), ("baseline", "variant")))
    return {(labels[row["arm"]], row["metric"]): float(row["mean"]) for row in read_csv(experiment.folder / "summary.csv")
            if row["mean"]}


# --------------------------------------------------------------------------- scenarios and levers


def test_meta_lists_levers_kpis_with_registry_definitions_and_the_bundled_scenarios(client):
    from simulator.metrics.registry import REGISTRY

    meta = client.get("/api/meta").json()
    assert [lever["path"] for lever in meta["levers"]] == [
        "sme.land_share", "sentra", "platform", "platform.coverage", "platform.opens_day",
        "policy.landfill_tax_per_t", "sme.linkage", "policy.exchange_subsidy_per_t", "platform.fee_per_year",
        "link_economics.truck_link_setup_cost", "link_economics.pipeline_cost_per_km", "viability.margin_threshold",
        "run.horizon_days", "--replications", "--seed", "uncertain"]
    assert {k["metric"]: k["definition"] for k in meta["kpis"]} == {
        name: REGISTRY[name].definition for name in ("landfill_diversion_rate", "virgin_material_avoided_t",
                                                     "co2e_avoided_t", "lm3_park", "multiplier_output_type2",
                                                     "jobs_sme", "sme_survival", "sme_revenue", "lm3_sme")}
    listing = client.get("/api/scenarios").json()
    assert listing["default"] == "demo"
    assert {"demo", "kawasan_baseline", "kalundborg"} <= {s["id"] for s in listing["scenarios"]}
    demo = client.get("/api/scenarios/demo").json()
    assert demo["file"] == "scenarios/demo.yaml"
    assert demo["info"]["land_reason"] == "no_mix"          # no IKM archetypes: the land lever is disabled
    assert "pick a scenario that names them, such as kawasan_baseline" in meta["reasons"]["no_mix"]["en"]
    assert client.get("/api/scenarios/kalundborg").json()["info"]["land_reason"] == "no_area"
    kawasan = client.get("/api/scenarios/kawasan_baseline").json()["info"]
    assert kawasan["land_reason"] == "" and kawasan["linkage_ikm"] and not kawasan["has_smes"]
    assert kawasan["land_max"] == pytest.approx(1 - 258 / 500)  # the IKM land fits beside the firms' plots
    assert client.get("/api/scenarios/nope").status_code == 404


def test_scenarios_never_show_server_paths(tmp_path, monkeypatch, scenario_text):
    """Wherever the server runs from, the list names bundled files as ``scenarios/NAME.yaml`` and
    the ``--scenario`` file and uploads by their file name: no absolute or server path."""
    given = tmp_path / "deep" / "folder" / "my_site.yaml"
    given.parent.mkdir(parents=True)
    given.write_text(scenario_text, encoding="utf-8")
    monkeypatch.chdir(tmp_path / "deep")                   # not the repository
    catalogue = Catalogue(tmp_path / "uploads", selected=given)
    runner = JobRunner(tmp_path / "runs")
    try:
        with page_client(create_app(catalogue, runner)) as client:
            uploaded = upload(client, "/home/someone/park.yaml", scenario_text.encode())
            assert uploaded.status_code == 201, uploaded.text
            listing = client.get("/api/scenarios").json()
            files = {s["id"]: (s["file"], s["file_name"]) for s in listing["scenarios"]}
            assert files["demo"] == ("scenarios/demo.yaml", "demo.yaml")
            assert files["kawasan_baseline"] == ("scenarios/kawasan_baseline.yaml", "kawasan_baseline.yaml")
            assert files[listing["default"]] == ("my_site.yaml", "my_site.yaml")
            assert files[uploaded.json()["id"]] == ("park.yaml", "park.yaml")
            texts = [client.get("/api/scenarios").text, uploaded.text]
            texts += [client.get(f"/api/scenarios/{i}").text for i in files]
            given_info = client.get(f"/api/scenarios/{listing['default']}").json()["info"]
            preview = client.post("/api/preview", json={"scenario": listing["default"],
                                                        "levers": given_info["defaults"]})
            assert preview.status_code == 200, preview.text
            assert preview.json()["commands"]["compare"].startswith("eipsim compare my_site.yaml ")
            texts.append(preview.text)
            for text in texts:
                for server_path in (str(REPO), str(tmp_path), str(catalogue.upload_root)):
                    assert server_path not in text
    finally:
        runner.close()


@pytest.mark.parametrize("changes, message", [
    ({"land_share": 1.5}, "land_share: must be <= 1, got 1.5"),
    ({"replications": 0}, "replications: must be >= 1, got 0"),
    ({"horizon_days": 731}, "horizon_days: must be <= 730, got 731"),
    ({"platform_coverage": -0.1}, "platform_coverage: must be >= 0, got -0.1"),
    ({"landfill_tax_per_t": 5e6}, "landfill_tax_per_t: must be <= 1000000 IDR/t for this scenario, got 5000000"),
    ({"exchange_subsidy_per_t": 5e6}, "exchange_subsidy_per_t: must be <= 1000000 IDR/t for this scenario"),
    ({"land_share": 0.1}, "land_share: The scenario names no IKM archetypes (sme.mix)"),
    ({"linkage": 0.5}, "linkage: No anchor buys a product that the park's SMEs make"),
    ({"platform": True, "platform_opens_day": 60}, "platform_opens_day: must be before the end of the run (day 60)"),
    ({"colour": "red"}, "colour: unknown lever"),
    ({"platform_fee_per_year": 1e12}, "platform_fee_per_year: must be <= 200000000 IDR/year for this scenario"),
    ({"pipeline_cost_per_km": -1}, "pipeline_cost_per_km: must be >= 0, got -1"),
    ({"margin_threshold": 11}, "margin_threshold: must be <= 10, got 11"),
    ({"uncertain": True}, "uncertain: The scenario gives no uncertain assumptions"),
    ({"sentra": "yes"}, "sentra: must be true or false (a JSON boolean), got 'yes'"),
    ({"platform": 1}, "platform: must be true or false (a JSON boolean), got 1"),
    ({"platform": "true"}, "platform: must be true or false (a JSON boolean), got 'true'"),
    ({"sentra": None}, "sentra: must be true or false (a JSON boolean), got None"),
    ({"replications": "3"}, "replications: must be a number, got '3'"),
    ({"landfill_tax_per_t": True}, "landfill_tax_per_t: must be a number, got True"),
])
def test_bad_lever_values_are_refused_with_a_clear_422(client, changes, message):
    for route in ("/api/preview", "/api/yaml", "/api/runs"):
        answer = client.post(route, json={"scenario": "demo", "levers": demo_levers(**changes)})
        assert answer.status_code == 422, answer.text
        assert message in answer.json()["error"]


def test_the_ikm_land_is_bounded_by_what_fits_in_the_estate(client):
    """The bound is the scenario's own (validation's), not a cap of the page's."""
    info = client.get("/api/scenarios/kawasan_baseline").json()["info"]
    levers = {**info["defaults"], "land_share": 0.5}
    answer = client.post("/api/preview", json={"scenario": "kawasan_baseline", "levers": levers})
    assert answer.status_code == 422
    assert "land_share: must be <= 0.484 for this scenario" in answer.json()["error"]
    levers["land_share"] = 0.45
    assert client.post("/api/preview", json={"scenario": "kawasan_baseline", "levers": levers}).status_code == 200


def test_preview_gives_the_overrides_and_the_command_lines(client):
    levers = demo_levers(platform=True, platform_coverage=0.8, platform_opens_day=10, landfill_tax_per_t=200000)
    preview = client.post("/api/preview", json={"scenario": "demo", "levers": levers}).json()
    assert preview["overrides"] == {"common": ["run.horizon_days=60"],
                                    "variant": ["platform.coverage=0.8", "platform.opens_day=10",
                                                "policy.landfill_tax_per_t=200000", "platform.fee_per_year=0"]}
    seed = levers["seed"]
    assert preview["commands"]["compare"] == ("eipsim compare scenarios/demo.yaml demo_explorer.yaml "
                                              f"--set run.horizon_days=60 --replications 2 --seed {seed}")
    assert preview["commands"]["run"] == (
        "eipsim run scenarios/demo.yaml --set run.horizon_days=60 --set platform.coverage=0.8 "
        "--set platform.opens_day=10 --set policy.landfill_tax_per_t=200000 --set platform.fee_per_year=0 "
        f"--replications 2 --seed {seed}")


@pytest.mark.parametrize("scenario", ["demo", "kalundborg", "kawasan_baseline", "kawasan_smart_eip"])
def test_yaml_download_is_the_scenario_with_the_overrides(client, tmp_path, scenario):
    info = client.get(f"/api/scenarios/{scenario}").json()["info"]
    levers = {**info["defaults"], "platform": True, "platform_coverage": 0.5, "landfill_tax_per_t": info["money_max"]["landfill_tax_per_t"] / 100,
              "horizon_days": 90, "land_share": info["defaults"]["land_share"] if info["land_reason"] else 0.15}
    answer = client.post("/api/yaml", json={"scenario": scenario, "levers": levers})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"] == f'attachment; filename="{scenario}_explorer.yaml"'
    (tmp_path / "levers.yaml").write_text(answer.text, encoding="utf-8")
    loaded, _ = load_scenario(tmp_path / "levers.yaml")       # what `eipsim run levers.yaml` runs
    sets = client.post("/api/preview", json={"scenario": scenario, "levers": levers}).json()["overrides"]
    expected, _ = load_scenario(REPO / "scenarios" / f"{scenario}.yaml",
                                overrides=[*sets["common"], *sets["variant"], f"name={scenario}_explorer"])
    assert loaded == expected


def test_new_parameters_are_levers_from_the_catalogue(client):
    """Issue 13: the platform fee, link investment, viability threshold and uncertainty are
    controls of the page, set and bounded from simulator/levers.py and the schema."""
    info = client.get("/api/scenarios/kawasan_baseline").json()["info"]
    assert info["money_max"]["platform_fee_per_year"] == 2e8 and info["money_max"]["pipeline_cost_per_km"] == 1e11
    assert info["defaults"]["uncertain"] and len(info["uncertain"]) == 8 and info["has_viability"]
    levers = {**info["defaults"], "platform": True, "platform_fee_per_year": 2e6, "truck_link_setup_cost": 1e7,
              "margin_threshold": -0.25, "uncertain": False}
    preview = client.post("/api/preview", json={"scenario": "kawasan_baseline", "levers": levers}).json()
    assert preview["overrides"]["common"][-1] == "uncertain={}"                    # both arms on point values
    assert {"platform.fee_per_year=2000000", "link_economics.truck_link_setup_cost=10000000",
            "viability.margin_threshold=-0.25"} <= set(preview["overrides"]["variant"])
    assert "--set 'uncertain={}'" in preview["commands"]["compare"]
    answer = client.post("/api/yaml", json={"scenario": "kawasan_baseline", "levers": levers})
    assert answer.status_code == 200, answer.text
    assert "fee_per_year: 2000000" in answer.text and "margin_threshold: -0.25" in answer.text
    assert "\nuncertain: {}\n" in answer.text
    kalundborg = client.get("/api/scenarios/kalundborg").json()["info"]
    assert kalundborg["money_max"]["platform_fee_per_year"] == 1e5           # its own currency's scale


# --------------------------------------------------------------------------- other web pages, hostile requests

OWN = "http://127.0.0.1:8765"


@pytest.mark.parametrize("headers, status", [
    ({"Origin": "http://evil.com", "Content-Type": "text/plain"}, 403),          # the 202
    ({"Origin": "http://evil.com"}, 403),
    ({"Origin": "null"}, 403),                                                  # sandboxed frames, file:// pages
    ({"Referer": "http://evil.com/page.html"}, 403),
    ({"Referer": "http://127.0.0.1:8765.evil.com/"}, 403),
    ({"Sec-Fetch-Site": "cross-site"}, 403),
    ({"X-Eipsim-Token": ""}, 403),                                              # a page without the token
    ({"X-Eipsim-Token": "guessed"}, 403),
    ({"Origin": OWN, "Content-Type": "text/plain"}, 415),                       # JSON endpoints take JSON only
    ({"Origin": OWN, "Content-Type": "application/x-www-form-urlencoded"}, 415),
    ({"Origin": OWN}, 200),
    ({"Referer": f"{OWN}/"}, 200),
])
def test_only_the_explorers_own_page_can_start_a_run(client, headers, status):
    body = json.dumps({"scenario": "demo", "levers": demo_levers(horizon_days=30, replications=1)})
    for route in ("/api/runs", "/api/preview", "/api/yaml") if status != 200 else ("/api/preview", "/api/yaml"):
        answer = client.post(route, content=body, headers={"Content-Type": "application/json", **headers})
        assert answer.status_code == status, (route, answer.text)
    assert client.get("/api/runs/1").status_code == 404                        # no run was started


def test_other_pages_cannot_upload_or_read_results(client, scenario_text):
    evil = {"Origin": "http://evil.com", "Content-Type": "text/plain"}
    assert client.post("/api/scenarios?filename=x.yaml", content=scenario_text.encode(), headers=evil).status_code == 403
    plain = client.post("/api/scenarios?filename=x.yaml", content=scenario_text.encode(),
                        headers={"Content-Type": "text/plain"})
    assert plain.status_code == 415 and "application/yaml" in plain.json()["error"]
    assert client.get("/api/runs/1/experiment.zip", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    page = client.get("/")
    assert page.status_code == 200 and f'content="{client.app.state.token}"' in page.text   # the page's token
    assert page.headers["x-frame-options"] == "DENY"                                      # not framed by others


@pytest.mark.parametrize("bind, host, accepted", [
    ("127.0.0.1", "127.0.0.1:8765", True), ("127.0.0.1", "localhost:8765", True),
    ("127.0.0.1", "evil.com", False), ("127.0.0.1", "127.0.0.1.evil.com", False), ("127.0.0.1", "", False),
    ("::1", "[::1]:8765", True), ("::1", "localhost:8765", True), ("::1", "evil.com", False),   # the 200
    ("127.0.0.2", "127.0.0.2:8765", True), ("127.0.0.2", "evil.com:8765", False),
    ("192.168.1.5", "192.168.1.5:8765", True), ("192.168.1.5", "evil.com", False),
    ("0.0.0.0", "10.1.2.3:8765", True), ("0.0.0.0", "localhost", True), ("0.0.0.0", "evil.com", False),
    ("::", "[fe80::1]:8765", True), ("::", "evil.com", False),
    ("localhost", "localhost:8765", True), ("localhost", "127.0.0.1:8765", True), ("localhost", "evil.com", False),
])
def test_host_header_names_the_bind_address(catalogue, tmp_path, bind, host, accepted):
    """DNS rebinding (evil.com made to point at the server) fails on every bind address."""
    runner = JobRunner(tmp_path / "runs")
    try:
        with TestClient(create_app(catalogue, runner, bind=bind)) as client:
            answer = client.get("/api/meta", headers={"Host": host})
            assert answer.status_code == (200 if accepted else 421), answer.text
    finally:
        runner.close()


def drive(app, path: str, content_type: str, limit: int) -> tuple[int, int]:
    """POST an endless chunked body (cut at 50 MB) to ``path`` straight through ASGI, as uvicorn
    hands it over; return the status and the bytes the application took."""
    import asyncio

    chunk = b"[" * 65536
    taken, sent = 0, []

    async def receive():
        nonlocal taken
        taken += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": taken < 50_000_000}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8765),
             "headers": [(b"host", b"127.0.0.1:8765"), (b"content-type", content_type.encode()),
                         (b"transfer-encoding", b"chunked"), (b"x-eipsim-token", app.state.token.encode())]}
    asyncio.run(app(scope, receive, send))
    return next(m["status"] for m in sent if m["type"] == "http.response.start"), taken


@pytest.mark.parametrize("path, content_type", [
    ("/api/preview", "application/json"), ("/api/runs", "application/json"),
    ("/api/scenarios?filename=big.yaml", "application/yaml")])
def test_a_body_is_cut_off_while_it_streams(explorer, path, content_type):
    """A chunked body without Content-Length (the issue's 1 GiB took the server to 2 GB) is
    refused once it passes the limit, without reading the rest."""
    status, taken = drive(explorer, path.split("?")[0], content_type, MAX_UPLOAD_BYTES)
    assert status == 413
    assert taken <= MAX_UPLOAD_BYTES + 65536


@pytest.mark.parametrize("filename, data, status, message", [
    ("a" * 5000 + ".yaml", None, 422, "the file name is 5,005 characters; at most 255"),
    ("park%00.yaml", None, 422, "contains control characters"),
    ("park.yaml", "NUL", 422, "park.yaml:"),
])
def test_hostile_uploads_get_a_clear_4xx(client, scenario_text, filename, data, status, message):
    content = scenario_text.encode() if data is None else scenario_text.replace("name:", "na\x00me:", 1).encode()
    answer = upload(client, filename, content)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["error"]


@pytest.mark.parametrize("body", [b"[" * 100_000, b"{" * 100_000, b"\xff\xfe", b"", b"[1, 2]", b'{"scenario": 7}'])
def test_hostile_json_bodies_get_a_clear_400(client, body):
    answer = client.post("/api/preview", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"].startswith('the request body must be JSON: {"scenario": ID')


def test_preview_says_what_the_ikm_land_amounts_to(client):
    info = client.get("/api/scenarios/kawasan_baseline").json()["info"]
    preview = client.post("/api/preview", json={"scenario": "kawasan_baseline",
                                                "levers": {**info["defaults"], "land_share": 0.05}}).json()
    assert preview["derived"]["land_share"] == {"en": "= 25 ha → 25 IKM firms", "id": "= 25 ha → 25 IKM"}
    assert client.post("/api/preview", json={"scenario": "demo", "levers": demo_levers()}).json()["derived"] == {}


def test_the_page_formats_no_numbers_itself():
    """Every number a person reads comes from the server, written by vocabulary.format_value (issue 11)."""
    script = (Path(simulator.__file__).parent / "explorer" / "static" / "app.js").read_text(encoding="utf-8")
    for formatting in ("Intl.NumberFormat", "toFixed", "toLocaleString", "toPrecision", "formatValue"):
        assert formatting not in script, formatting


# --------------------------------------------------------------------------- uploads


def test_oversize_upload_is_refused_with_413(client):
    answer = upload(client, "big.yaml", b"#" * (MAX_UPLOAD_BYTES + 1))
    assert answer.status_code == 413
    assert f"requests are limited to {MAX_UPLOAD_BYTES:,} bytes" in answer.json()["error"]


@pytest.mark.parametrize("broken", [
    ("fly_ash: {ratio: 1.0, max_share: 0.3}", "fly_ahs: {ratio: 1.0, max_share: 0.3}"),   # unknown material
    ("  horizon_days: 30", "  horizon_days: [30"),                                         # YAML syntax
    ("  seed: 7", "  seed: -7\n  warmup_days: 40"),                                        # several problems
])
def test_bad_upload_shows_the_errors_exactly_as_the_command_line(client, scenario_text, tmp_path, monkeypatch,
                                                                 capsys, broken):
    text = scenario_text.replace(*broken)
    assert text != scenario_text
    (tmp_path / "bad.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "bad.yaml"]) == 2
    expected = capsys.readouterr().err.strip()
    answer = upload(client, "bad.yaml", text.encode())
    assert answer.status_code == 422
    assert answer.json()["error"] == expected
    assert expected.startswith("bad.yaml:")


def test_upload_may_not_extend_another_file(client, scenario_text):
    answer = upload(client, "../../x.yaml", f"extends: demo.yaml\n{scenario_text}".encode())
    assert answer.status_code == 422
    assert answer.json()["error"].startswith("x.yaml:1:1: extends: an uploaded scenario cannot extend another file")


def test_valid_upload_joins_the_list_with_its_levers(client, scenario_text):
    answer = upload(client, "my park.yml", scenario_text.encode())
    assert answer.status_code == 201, answer.text
    entry = answer.json()
    assert entry["file"] == "my_park.yaml" and entry["origin"] == "upload"
    assert entry["info"]["land_reason"] == "no_area" and entry["info"]["defaults"]["horizon_days"] == 30
    assert entry["id"] in {s["id"] for s in client.get("/api/scenarios").json()["scenarios"]}


# --------------------------------------------------------------------------- runs


def test_run_equals_simulator_compare_and_the_commands_shown(client, tmp_path, monkeypatch):
    levers = demo_levers(horizon_days=30, platform=True, platform_coverage=0.8, landfill_tax_per_t=200000)
    started = client.post("/api/runs", json={"scenario": "demo", "levers": levers})
    assert started.status_code == 202, started.text
    job = wait(client, started.json()["id"])
    assert job["state"] == "done", job["error"]
    assert job["runs_done"] == job["runs_total"] == 4
    folder = Path(job["folder"])

    # the numbers shown are those of simulator.compare with the same overrides and seed
    reference = reference_means(tmp_path, job["overrides"]["common"], job["overrides"]["variant"], 2, levers["seed"])
    for kpi in job["kpis"]:
        assert kpi["variant"]["mean"] == reference["variant", kpi["metric"]]
        assert kpi["baseline"]["mean"] == reference["baseline", kpi["metric"]]

    # the YAML download is a complete scenario that `eipsim run` loads
    yaml_text = client.get(f"/api/runs/{job['id']}/scenario.yaml").text
    assert yaml_text == client.post("/api/yaml", json={"scenario": "demo", "levers": levers}).text
    variant_file = tmp_path / job["commands"]["yaml_file"]
    variant_file.write_text(yaml_text, encoding="utf-8")
    scenario, _ = load_scenario(variant_file)
    assert (scenario.name, scenario.policy.landfill_tax_per_t, scenario.platform.coverage) == \
        ("demo_explorer", 200000, 0.8)

    # the command lines shown give the same tables (run from the repository, as shown)
    compare = shlex.split(job["commands"]["compare"])
    compare[compare.index(variant_file.name)] = str(variant_file)
    extra = ["--engine", "serial", "--no-figures", "--out"]
    assert main([*compare[1:], *extra, str(tmp_path / "cli")]) == 0
    cli_folder = next((tmp_path / "cli").glob("*/*/summary.csv")).parent
    for table in ("summary.csv", "differences.csv", "metrics.csv"):
        assert (cli_folder / table).read_text() == (folder / table).read_text(), table
    assert main([*shlex.split(job["commands"]["run"])[1:], *extra, str(tmp_path / "alone")]) == 0
    alone = {row["metric"]: row["mean"] for row in read_csv(next((tmp_path / "alone").glob("*/*/summary.csv")))}
    compared = {row["metric"]: row["mean"] for row in read_csv(folder / "summary.csv") if row["arm"] == "demo_explorer"}
    assert alone == compared

    # every number shown is written by the one formatter, in both languages; changes keep their digits
    from simulator.vocabulary import format_value
    for kpi in job["kpis"]:
        for lang in ("en", "id"):
            texts = kpi["text"][lang]
            assert texts["variant"]["mean"] == format_value(kpi["variant"]["mean"], kpi["unit"], lang)
            assert texts["baseline"]["ci_high"] == format_value(kpi["baseline"]["ci_high"], kpi["unit"], lang)
            assert texts["difference"]["mean"] == format_value(kpi["difference"]["mean"], kpi["unit"], lang, change=True)
    assert {k["metric"] for k in job["kpis"]} >= {"sme_revenue", "lm3_sme"}        # the exercise reads them
    assert job["changed_text"]["en"] == [{"label": "Digital exchange platform", "value": "on"},
                                         {"label": "Platform coverage", "value": "80 %"},
                                         {"label": "Landfill tax", "value": "200,000 IDR/t"}]
    assert job["changed_text"]["id"][2] == {"label": "Pajak TPA", "value": "200.000 IDR/t"}
    assert Path(job["folder"]).is_dir()

    # against a pinned run: the change of each mean, formatted as a change
    pinned = client.get(f"/api/runs/{job['id']}?against={job['id']}").json()["changes"]
    assert pinned["lm3_park"] == {"en": "0", "id": "0"} and pinned["landfill_diversion_rate"]["en"] == "0 pp"
    assert client.get(f"/api/runs/{job['id']}?against=nope").status_code == 404

    chart = client.get(f"/api/runs/{job['id']}/charts/network.png?lang=id")
    assert chart.status_code == 200 and chart.content.startswith(b"\x89PNG")
    assert client.get(f"/api/runs/{job['id']}/charts/nope.png").status_code == 404


def test_zip_holds_the_tables_charts_and_report(client, scenario_text):
    entry = upload(client, "mini.yaml", scenario_text.encode()).json()
    levers = {**entry["info"]["defaults"], "replications": 2, "landfill_tax_per_t": 500000}
    job = wait(client, client.post("/api/runs", json={"scenario": entry["id"], "levers": levers}).json()["id"])
    assert job["state"] == "done", job["error"]
    answer = client.get(f"/api/runs/{job['id']}/experiment.zip")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    names = {name.split("/", 1)[1] for name in zipfile.ZipFile(io.BytesIO(answer.content)).namelist()}
    assert {"summary.csv", "differences.csv", "metrics.csv", "runs.csv", "report.html", "manifest.json",
            "scenarios/mini.yaml", "scenarios/mini_explorer.yaml", "figures/comparison.png",
            "runs/run0002/chart_data.json", "runs/run0002/figures/sankey.svg"} <= names


def test_one_experiment_at_a_time_and_cancel(client, explorer, tmp_path):
    kawasan = client.get("/api/scenarios/kawasan_baseline").json()["info"]["defaults"]
    long_run = {**kawasan, "horizon_days": 730, "replications": 30}
    job = client.post("/api/runs", json={"scenario": "kawasan_baseline", "levers": long_run}).json()
    running = wait(client, job["id"], until=lambda j: j["runs_done"] >= 1 or j["state"] in FINISHED)
    assert running["state"] == "running" and running["runs_total"] == 60

    second = client.post("/api/runs", json={"scenario": "demo", "levers": demo_levers()})
    assert second.status_code == 409
    assert second.json()["running"]["id"] == job["id"] and "already running" in second.json()["error"]

    assert client.post(f"/api/runs/{job['id']}/cancel").status_code == 200
    cancelled = wait(client, job["id"], timeout=10)
    assert cancelled["state"] == "cancelled" and cancelled["runs_done"] < 60
    assert not (tmp_path / "runs" / job["id"]).exists()          # nothing half-written is kept
    after = client.post("/api/runs", json={"scenario": "demo", "levers": demo_levers(horizon_days=30,
                                                                                     replications=1)})
    assert after.status_code == 202
    assert wait(client, after.json()["id"])["state"] == "done"


def test_runs_are_kept_under_results_and_shown_as_typed(tmp_path, monkeypatch):
    """Issue 14: the page linked a temporary folder that vanished when the explorer stopped."""
    from simulator.cli import build_parser
    from simulator.explorer.app import _shown

    assert build_parser().parse_args(["explore"]).out == Path("results")
    monkeypatch.chdir(tmp_path)
    assert _shown(tmp_path / "results" / "explorer" / "abc" / "experiment") == "results/explorer/abc/experiment"
    assert _shown(Path("/elsewhere/x")) == "/elsewhere/x"


def test_explore_command_refuses_a_bad_scenario_before_serving(tmp_path, capsys):
    missing = tmp_path / "missing.yaml"
    assert main(["explore", "--port", "0", "--scenario", str(missing)]) == 2
    assert capsys.readouterr().err == f"{missing}:1:1: file not found\n1 problem found.\n"


# --------------------------------------------------------------------------- in a real browser


@contextlib.contextmanager
def serving(app):
    """``app`` served by uvicorn on a free loopback port in a background thread; yields its address."""
    import uvicorn

    listener = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the explorer did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def set_number(page, lever: str, value) -> None:
    """Type ``value`` into a lever's number box, as a user does."""
    page.fill(f"#lever-{lever}-number", str(value))
    page.dispatch_event(f"#lever-{lever}-number", "change")


def card_value(page, metric: str, field: str = "mean") -> float:
    return float(page.get_attribute(f".card[data-metric='{metric}']", f"data-{field}"))


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (.ci/run installs it)")
def test_page_runs_levers_in_headless_chromium(explorer, tmp_path, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    screenshot = tmp_path_factory.getbasetemp() / "screenshots" / "explorer.png"   # pytest-current/screenshots/
    screenshot.parent.mkdir(parents=True, exist_ok=True)

    with serving(explorer) as address, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(address)
        for name in ("kawasan_baseline", "demo"):                      # pick a scenario: its levers appear
            page.wait_for_selector("#scenario option[value='demo']", state="attached")
            page.select_option("#scenario", name)
            page.wait_for_selector(f"#levers[data-scenario='{name}']", state="attached")
        assert page.is_disabled("#lever-land_share")                       # demo has no IKM archetypes
        assert "sme.mix" in page.inner_text("#lever-land_share-reason")
        options = page.eval_on_selector_all("#scenario option", "options => options.map(o => o.textContent)")
        assert "demo — demo.yaml" in options and not any("/" in text for text in options)  # no server paths
        set_number(page, "horizon_days", 60)
        set_number(page, "replications", 2)
        # move the landfill tax slider with the keyboard, as a user does: 20 steps of 1 % of its range
        slider, box = "#lever-landfill_tax_per_t", "#lever-landfill_tax_per_t-number"
        step = float(page.get_attribute(slider, "step"))
        assert page.input_value(box) == "0" and step == 10000
        page.focus(slider)
        for _ in range(20):
            page.keyboard.press("ArrowRight")
        assert page.input_value(slider) == "200000"
        assert page.input_value(box) == "200000"                          # the value shown follows the slider
        page.wait_for_function("document.querySelector('#cmd-run').textContent.includes('landfill_tax_per_t=200000')")
        page.click("#run")
        page.wait_for_selector(".card[data-metric='lm3_park']", timeout=40000)
        page.wait_for_function("(() => { const img = document.querySelector('#chart-area img');"
                               " return img && img.complete && img.naturalWidth > 0; })()", timeout=20000)

        seed = load_scenario(DEMO)[0].run.seed
        reference = reference_means(tmp_path, ["run.horizon_days=60"], ["policy.landfill_tax_per_t=200000"], 2, seed)
        for metric in ("landfill_diversion_rate", "virgin_material_avoided_t", "co2e_avoided_t", "lm3_park",
                       "multiplier_output_type2", "jobs_sme"):
            assert card_value(page, metric) == reference["variant", metric], metric
            assert card_value(page, metric, "baseline-mean") == reference["baseline", metric], metric
        shown = page.inner_text(".card[data-metric='landfill_diversion_rate'] .value")
        assert shown == f"{100 * reference['variant', 'landfill_diversion_rate']:.1f} %"
        assert "Landfill tax" in page.inner_text("#result-settings")

        page.click("#pin")                                                 # pin, change a lever, run again
        set_number(page, "landfill_tax_per_t", 0)
        page.click("#run")
        page.wait_for_function("document.querySelectorAll('#compare-charts img').length === 2", timeout=40000)
        assert page.is_visible("#compare-table")

        page.click("button[data-lang='id']")
        assert page.inner_text(".card[data-metric='landfill_diversion_rate'] h3") == "Tingkat pengalihan dari TPA"
        assert page.inner_text("#run") == "Jalankan"
        assert "lang=id" in page.get_attribute("#chart-area img", "src")
        page.wait_for_function("(() => { const img = document.querySelector('#chart-area img');"
                               " return img.complete && img.naturalWidth > 0; })()", timeout=20000)
        page.screenshot(path=str(screenshot), full_page=True)
        print(f"explorer screenshot: {screenshot}")
        browser.close()
    assert not errors, errors
    assert screenshot.stat().st_size > 10_000
