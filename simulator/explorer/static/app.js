// eipsim explorer: the page's behaviour. Plain JavaScript, no build step, nothing from the internet.
// The server is the source of truth: lever definitions, defaults, overrides and command lines come
// from its API (see simulator/explorer/app.py), and so does every number written for people: the
// server formats them with simulator/vocabulary.py (format_value), the one formatter, in English
// and Indonesian. This file draws controls and results; it formats no numbers itself.
"use strict";

const TEXT = {
  en: {
    title: "explorer",
    tagline: "Move the levers of an eco-industrial park and see what changes: by-products, CO2e and the local economy.",
    scenario: "Scenario", upload: "Upload a scenario file (YAML, at most 1 MB)", levers: "Levers",
    run_settings: "Run settings", run: "Run", cancel: "Cancel run", cancelling: "Cancelling…",
    starting: "Starting the experiment…", progress: "{done} of {total} runs done",
    cancelled: "Cancelled: nothing of that run was kept.",
    busy: "Another experiment is already running ({done} of {total} runs). Cancel it or wait for it.",
    failed: "The experiment failed:",
    placeholder: "Pick a scenario, set the levers and press Run. The page compares the scenario as it is " +
      "(the baseline) with your settings, replication by replication with the same random numbers, " +
      "exactly as `eipsim compare` does.",
    result_title: "{scenario}: your settings against the baseline",
    result_sub: "{reps} replications per arm · seed {seed} · {days} days",
    result_folder: "Experiment folder: {folder}",
    run_line: "{scenario} · {days} days · {reps} replications · seed {seed}",
    no_change: "Your settings equal the scenario: both arms are the baseline.",
    pin: "Pin this result", pinned_note: "Pinned. Change the levers and run again to compare.", unpin: "Unpin",
    zip: "Download results (.zip)", zip_preparing: "Preparing the zip: drawing every chart and the report…",
    zip_ready: "Downloaded {file}.", yaml: "Download the YAML of these settings ({file})",
    ci: "95 % CI", vs_baseline: "vs baseline", baseline: "baseline", no_clear: "no clear change (CI includes 0)",
    no_change_at_all: "the same in every replication",
    definition: "Definition", source: "Source", definitions: "Indicator definitions",
    definitions_note: "The same definitions as docs/metrics.md and the HTML report.",
    reproduce: "Reproduce on the command line",
    reproduce_compare: "The comparison this page runs (save the YAML of your settings with the button below first):",
    reproduce_run: "Your settings alone: the same numbers as the \"your settings\" arm:",
    compare_title: "Pinned result against the current one", pinned: "Pinned", current: "Current",
    change: "Current − pinned", indicator: "Indicator", settings: "Settings",
    compare_note: "Means of the replications; the change is a difference of means, not a paired test.",
    chart_loading: "Drawing the chart…", footer: "eipsim {version} · everything runs on this computer",
    upload_too_big: "The file is {size} bytes; uploads are limited to {max} bytes.",
  },
  id: {
    title: "penjelajah",
    tagline: "Geser tuas kebijakan kawasan industri ekologis dan lihat perubahannya: produk samping, CO2e, dan ekonomi lokal.",
    scenario: "Skenario", upload: "Unggah berkas skenario (YAML, maks. 1 MB)", levers: "Tuas kebijakan",
    run_settings: "Pengaturan run", run: "Jalankan", cancel: "Batalkan run", cancelling: "Membatalkan…",
    starting: "Memulai eksperimen…", progress: "{done} dari {total} run selesai",
    cancelled: "Dibatalkan: tidak ada hasil run itu yang disimpan.",
    busy: "Eksperimen lain sedang berjalan ({done} dari {total} run). Batalkan atau tunggu hingga selesai.",
    failed: "Eksperimen gagal:",
    placeholder: "Pilih skenario, atur tuas kebijakan, lalu tekan Jalankan. Halaman ini membandingkan skenario " +
      "apa adanya (baseline) dengan pengaturan Anda, replikasi demi replikasi dengan bilangan acak yang sama, " +
      "persis seperti `eipsim compare`.",
    result_title: "{scenario}: pengaturan Anda dibanding baseline",
    result_sub: "{reps} replikasi per skenario · benih {seed} · {days} hari",
    result_folder: "Folder eksperimen: {folder}",
    run_line: "{scenario} · {days} hari · {reps} replikasi · benih {seed}",
    no_change: "Pengaturan Anda sama dengan skenario: kedua sisi adalah baseline.",
    pin: "Sematkan hasil ini", pinned_note: "Tersemat. Ubah tuas lalu jalankan lagi untuk membandingkan.",
    unpin: "Lepas sematan", zip: "Unduh hasil (.zip)",
    zip_preparing: "Menyiapkan zip: menggambar semua grafik dan laporan…", zip_ready: "{file} telah diunduh.",
    yaml: "Unduh YAML pengaturan ini ({file})",
    ci: "SK 95 %", vs_baseline: "vs baseline", baseline: "baseline",
    no_clear: "tidak ada perubahan jelas (SK memuat 0)", no_change_at_all: "sama di setiap replikasi",
    definition: "Definisi", source: "Sumber",
    definitions: "Definisi indikator",
    definitions_note: "Definisi dalam bahasa Inggris, sama dengan docs/metrics.md dan laporan HTML.",
    reproduce: "Ulangi di baris perintah",
    reproduce_compare: "Perbandingan yang dijalankan halaman ini (simpan dulu YAML pengaturan Anda dengan tombol di bawah):",
    reproduce_run: "Pengaturan Anda saja: angkanya sama dengan sisi \"pengaturan Anda\":",
    compare_title: "Hasil tersemat dibanding hasil saat ini", pinned: "Tersemat", current: "Saat ini",
    change: "Saat ini − tersemat", indicator: "Indikator", settings: "Pengaturan",
    compare_note: "Rata-rata replikasi; perubahannya adalah selisih rata-rata, bukan uji berpasangan.",
    chart_loading: "Menggambar grafik…", footer: "eipsim {version} · semuanya berjalan di komputer ini",
    upload_too_big: "Berkas berukuran {size} bita; unggahan dibatasi {max} bita.",
  },
};
const POLL_MS = 400;

const state = {
  lang: localStorage.getItem("eipsim-lang") === "id" ? "id" : "en",
  meta: null, entry: null, values: {}, job: null, result: null, pinned: null, chart: "sankey",
  commands: null, derived: {}, previewTimer: null, leversValid: true,
};

const $ = (id) => document.getElementById(id);

function t(key, vars = {}) {
  const text = TEXT[state.lang][key] ?? TEXT.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? vars[name] : `{${name}}`));
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

// The token of this start of the server, written into the page: every change sends it.
const TOKEN = document.querySelector("meta[name='eipsim-token']").content;

// fetch() with the page's token on every request that changes something.
function send(path, options = {}) {
  const method = (options.method || "GET").toUpperCase();
  const headers = method === "GET" ? options.headers : {...options.headers, "X-Eipsim-Token": TOKEN};
  return fetch(path, {...options, headers});
}

async function api(path, options = {}) {
  const response = await send(path, options);
  const isJson = (response.headers.get("content-type") || "").includes("application/json");
  const body = isJson ? await response.json() : null;
  if (!response.ok) {
    const error = new Error(body && body.error ? body.error : `${response.status} ${response.statusText}`);
    error.status = response.status;
    error.body = body;
    throw error;
  }
  return body;
}

const postJson = (path, data) => api(path, {method: "POST", headers: {"Content-Type": "application/json"},
                                            body: JSON.stringify(data)});

// --------------------------------------------------------------------------- texts

function leverUnit(lever, currency) {
  return lever.unit[state.lang].replace("{currency}", currency);
}

// --------------------------------------------------------------------------- levers

function leverList(runSettings) {
  return state.meta.levers.filter((lever) => lever.run_setting === runSettings);
}

function leverBounds(lever) {
  const info = state.entry.info;
  if (lever.kind === "money") return {low: 0, high: info.money_max[lever.key], step: info.money_max[lever.key] / 100};
  if (lever.key === "land_share") return {low: lever.low, high: Math.min(lever.high, info.land_max), step: lever.step};
  if (lever.key === "platform_opens_day") return {low: 0, high: state.values.horizon_days - 1, step: 1};
  if (lever.key === "horizon_days") return {low: Math.max(lever.low, info.warmup_days + 1), high: lever.high, step: 1};
  return {low: lever.low, high: lever.high, step: lever.step};
}

// Why a lever cannot be used now (a text), or null when it can.
function unavailable(lever) {
  const info = state.entry.info;
  const values = state.values;
  const reasons = state.meta.reasons;
  const land = values.land_share > 0;
  let key = null;
  if (lever.key === "land_share" && info.land_reason) key = info.land_reason;
  else if (lever.needs === "platform" && !values.platform) key = "needs_platform";
  else if (lever.needs === "sme" && !info.has_smes && !land && !info.defaults.sentra) {
    key = info.land_reason ? "no_sme" : "needs_land";
  } else if (lever.needs === "linkage" && !(info.linkage_now || (info.linkage_ikm && land))) {
    key = info.linkage_ikm ? "linkage_needs_land" : "no_linkage";
  } else if (lever.needs === "viability" && !info.has_viability) key = "no_viability";
  else if (lever.needs === "uncertain" && !info.uncertain.length) key = "no_uncertain";
  return key ? reasons[key][state.lang] : null;
}

function renderLevers() {
  for (const [containerId, runSettings] of [["levers", false], ["run-settings", true]]) {
    const container = $(containerId);
    container.replaceChildren(...leverList(runSettings).map(leverControl));
  }
  refreshLevers();
}

function leverControl(lever) {
  const id = `lever-${lever.key}`;
  const value = state.values[lever.key];
  let input;
  let number = null;
  if (lever.kind === "switch") {
    input = el("input", {type: "checkbox", id, class: "switch", role: "switch",
                         onchange: (e) => setLever(lever, e.target.checked)});
    input.checked = value;
  } else if (lever.kind === "seed") {
    input = el("input", {type: "number", id, min: 0, step: 1, class: "number wide",
                         onchange: (e) => setLever(lever, parseNumber(lever, e.target.value))});
    input.value = value;
  } else {
    const bounds = leverBounds(lever);
    const scale = lever.kind === "share" ? 100 : 1;
    input = el("input", {type: "range", id, min: bounds.low, max: bounds.high, step: bounds.step,
                         oninput: (e) => setLever(lever, parseNumber(lever, e.target.value))});
    input.value = value;
    number = el("input", {type: "number", id: `${id}-number`, class: lever.kind === "money" ? "number wide" : "number", "aria-label": lever.label[state.lang],
                          min: bounds.low * scale, max: bounds.high * scale, step: lever.kind === "share" ? 1 : bounds.step,
                          onchange: (e) => setLever(lever, parseNumber(lever, e.target.value) / scale)});
    number.value = roundForDisplay(value * scale);
  }
  const head = el("div", {class: "lever-head"},
    el("label", {for: id, text: lever.label[state.lang]}),
    lever.kind === "switch" || lever.kind === "seed" ? input : el("span", {class: "value-box"}, number,
      el("span", {class: "unit small", text: lever.kind === "share" ? "%" : leverUnit(lever, state.entry.info.currency)})));
  const help = el("p", {class: "help small"}, lever.help[state.lang], " ",
                  el("span", {class: "derived", id: `${id}-derived`}), " ",
                  el("code", {class: "path", title: "--set / eipsim", text: lever.path}));
  const reason = el("p", {class: "reason small", id: `${id}-reason`, hidden: true});
  return el("div", {class: "lever", "data-key": lever.key},
            head, lever.kind === "switch" || lever.kind === "seed" ? null : input, help, reason);
}

function parseNumber(lever, text) {
  const value = Number(text);
  return lever.kind === "days" || lever.kind === "count" || lever.kind === "seed" ? Math.round(value) : value;
}

function roundForDisplay(value) {
  return Math.round(value * 1e6) / 1e6;
}

function setLever(lever, value) {
  if (!Number.isFinite(value) && typeof value !== "boolean") return;
  if (lever.kind !== "switch" && lever.kind !== "seed") {
    const bounds = leverBounds(lever);
    value = Math.min(Math.max(value, bounds.low), bounds.high);
  }
  state.values[lever.key] = value;
  refreshLevers();
  schedulePreview();
}

// Sync every control with state.values; disable (and reset) levers the settings cannot use.
function refreshLevers() {
  const defaults = state.entry.info.defaults;
  state.values.platform_opens_day = Math.min(state.values.platform_opens_day, state.values.horizon_days - 1);
  for (const lever of state.meta.levers) {
    const reason = unavailable(lever);
    if (reason && (lever.needs === "sme" || lever.needs === "linkage")) state.values[lever.key] = defaults[lever.key];
    const value = state.values[lever.key];
    const input = $(`lever-${lever.key}`);
    const number = $(`lever-${lever.key}-number`);
    const box = input.closest(".lever");
    box.classList.toggle("disabled", Boolean(reason));
    input.disabled = Boolean(reason);
    if (lever.kind === "switch") input.checked = value;
    else if (lever.kind === "seed") input.value = value;
    else {
      const bounds = leverBounds(lever);
      const scale = lever.kind === "share" ? 100 : 1;
      input.max = bounds.high;
      input.value = value;
      number.disabled = Boolean(reason);
      number.max = bounds.high * scale;
      if (document.activeElement !== number) number.value = roundForDisplay(value * scale);
    }
    const reasonBox = $(`lever-${lever.key}-reason`);
    reasonBox.hidden = !reason;
    reasonBox.textContent = reason || "";
  }
  renderDerived();
}

// What lever values amount to (the IKM land in hectares and firms), as the last preview said.
function renderDerived() {
  for (const lever of state.meta.levers) {
    const texts = state.derived[lever.key];
    $(`lever-${lever.key}-derived`).textContent = texts ? texts[state.lang] : "";
  }
}

// --------------------------------------------------------------------------- scenarios

async function loadScenarios(selected) {
  const data = await api("/api/scenarios");
  const select = $("scenario");
  select.replaceChildren(...data.scenarios.map((s) => el("option", {value: s.id, text: `${s.name} — ${s.file_name}`})));
  await selectScenario(selected || data.default);
}

async function selectScenario(id) {
  state.entry = await api(`/api/scenarios/${encodeURIComponent(id)}`);
  $("scenario").value = id;
  $("scenario-description").textContent = state.entry.description;
  state.values = {...state.entry.info.defaults};
  state.derived = {};
  renderLevers();
  $("levers").dataset.scenario = id;
  schedulePreview(0);
}

async function uploadScenario(file) {
  const box = $("upload-error");
  box.hidden = true;
  if (file.size > state.meta.max_upload_bytes) {
    box.textContent = t("upload_too_big", {size: file.size, max: state.meta.max_upload_bytes});
    box.hidden = false;
    return;
  }
  try {
    const entry = await api(`/api/scenarios?filename=${encodeURIComponent(file.name)}`,
                            {method: "POST", body: file, headers: {"Content-Type": "application/yaml"}});
    await loadScenarios(entry.id);
  } catch (error) {
    box.textContent = error.message;
    box.hidden = false;
  } finally {
    $("upload").value = "";
  }
}

// --------------------------------------------------------------------------- preview and commands

function request() {
  return {scenario: state.entry.id, levers: state.values};
}

function schedulePreview(delay = 200) {
  clearTimeout(state.previewTimer);
  state.previewTimer = setTimeout(preview, delay);
}

async function preview() {
  try {
    const data = await postJson("/api/preview", request());
    state.commands = data.commands;
    state.derived = data.derived;
    state.leversValid = true;
    showError("run-error", null);
  } catch (error) {
    state.leversValid = false;
    showError("run-error", error.message);
  }
  renderCommands();
  renderRunButton();
  renderDerived();
}

function renderCommands() {
  const commands = state.commands;
  $("cmd-compare").textContent = commands ? commands.compare : "";
  $("cmd-run").textContent = commands ? commands.run : "";
  $("download-yaml").textContent = t("yaml", {file: commands ? commands.yaml_file : "…"});
  $("download-yaml").disabled = !state.leversValid;
}

async function downloadYaml() {
  const response = await send("/api/yaml", {method: "POST", headers: {"Content-Type": "application/json"},
                                            body: JSON.stringify(request())});
  if (!response.ok) {
    showError("run-error", (await response.json()).error);
    return;
  }
  saveBlob(await response.blob(), state.commands.yaml_file);
}

function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = el("a", {href: url, download: filename});
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function showError(id, text) {
  $(id).hidden = !text;
  $(id).textContent = text || "";
}

function showMessage(id, text) {
  $(id).hidden = !text;
  $(id).textContent = text || "";
}

// --------------------------------------------------------------------------- running

function running() {
  return state.job !== null && !["done", "failed", "cancelled"].includes(state.job.state);
}

function renderRunButton() {
  const button = $("run");
  if (running()) {
    button.textContent = state.job.cancelRequested ? t("cancelling") : t("cancel");
    button.classList.add("cancel");
    button.disabled = Boolean(state.job.cancelRequested);
  } else {
    button.textContent = t("run");
    button.classList.remove("cancel");
    button.disabled = !state.leversValid;
  }
  const progress = $("progress");
  progress.hidden = !running();
  if (running()) {
    $("progress-bar").max = state.job.runs_total;
    $("progress-bar").value = state.job.runs_done;
    $("progress-text").textContent = state.job.state === "queued"
      ? t("starting") : t("progress", {done: state.job.runs_done, total: state.job.runs_total});
  }
}

async function runOrCancel() {
  if (running()) {
    state.job.cancelRequested = true;
    renderRunButton();
    await postJson(`/api/runs/${state.job.id}/cancel`, {});
    return;
  }
  showError("run-error", null);
  showMessage("run-message", null);
  try {
    state.job = await postJson("/api/runs", request());
  } catch (error) {
    if (error.status === 409 && error.body && error.body.running) {
      state.job = error.body.running;  // never two experiments at once: follow (and offer to cancel) that one
      showMessage("run-message", t("busy", {done: state.job.runs_done, total: state.job.runs_total}));
    } else {
      showError("run-error", error.message);
      return;
    }
  }
  renderRunButton();
  poll(state.job.id);
}

async function poll(id) {
  let job;
  try {
    job = await api(`/api/runs/${id}${state.pinned ? `?against=${state.pinned.id}` : ""}`);
  } catch (error) {
    showError("run-error", error.message);
    state.job = null;
    renderRunButton();
    return;
  }
  if (!state.job || state.job.id !== id) return;
  job.cancelRequested = state.job.cancelRequested;
  state.job = job;
  renderRunButton();
  if (job.state === "done") {
    showMessage("run-message", null);
    showResult(job);
  } else if (job.state === "failed") {
    showError("run-error", `${t("failed")}\n${job.error}`);
  } else if (job.state === "cancelled") {
    showMessage("run-message", t("cancelled"));
  } else {
    setTimeout(() => poll(id), POLL_MS);
  }
}

// --------------------------------------------------------------------------- results

function showResult(job) {
  state.result = job;
  $("placeholder").hidden = true;
  $("result").hidden = false;
  $("zip-message").hidden = true;
  renderResult();
  renderCompare();
}

function renderResult() {
  const result = state.result;
  if (!result) return;
  $("result-title").textContent = t("result_title", {scenario: result.scenario.name});
  $("result-sub").textContent = t("result_sub", {reps: result.levers.replications, seed: result.levers.seed,
                                                 days: result.levers.horizon_days});
  $("result-folder").textContent = t("result_folder", {folder: result.folder});
  $("result-settings").replaceChildren(...settingsChips(result));
  $("kpis").replaceChildren(...result.kpis.map(kpiCard));
  renderCharts();
  $("pin").textContent = t("pin");
}

// The levers a run set away from its scenario, as "label: value" chips (texts from the server).
function settingsChips(result) {
  const texts = result.changed_text[state.lang];
  if (!texts.length) return [el("span", {class: "chip muted", text: t("no_change")})];
  return texts.map(({label, value}) => el("span", {class: "chip"}, el("b", {text: `${label}: `}), value));
}

function kpiMeta(metric) {
  return state.meta.kpis.find((k) => k.metric === metric);
}

function kpiCard(kpi) {
  const meta = kpiMeta(kpi.metric);
  const v = kpi.variant;
  const d = kpi.difference;
  const text = kpi.text[state.lang];
  const clear = d.ci_low !== null && d.ci_high !== null && (d.ci_low > 0 || d.ci_high < 0);
  const none = d.mean === 0 && d.ci_low === 0 && d.ci_high === 0;
  const direction = d.mean > 0 ? "up" : d.mean < 0 ? "down" : "flat";
  const card = el("article", {class: "card", "data-metric": kpi.metric},
    el("header", {},
      el("h3", {text: meta.label[state.lang]}),
      el("details", {class: "def"},
        el("summary", {title: t("definition"), "aria-label": t("definition"), text: "?"}),
        el("div", {class: "pop small"}, el("b", {text: `${meta.label[state.lang]}. `}), meta.definition,
           meta.source ? el("span", {class: "muted"}, ` ${t("source")}: ${meta.source}`) : null, " ",
           el("a", {href: `#def-${kpi.metric}`, text: `${t("definitions")} ↓`})))),
    el("p", {class: "value", text: text.variant.mean}),
    el("p", {class: "ci small", text: `${t("ci")}: ${text.variant.ci_low} – ${text.variant.ci_high}`}),
    el("p", {class: `diff small ${clear ? direction : "unclear"}`},
      el("span", {class: "arrow", text: clear ? (direction === "up" ? "▲ " : "▼ ") : "● "}),
      `${text.difference.mean} ${t("vs_baseline")}`,
      el("br"),
      el("span", {class: "diff-ci", text: none ? t("no_change_at_all") : clear
        ? `${t("ci")}: ${text.difference.ci_low} … ${text.difference.ci_high}`
        : t("no_clear")})),
    el("p", {class: "baseline small muted", text: `${t("baseline")}: ${text.baseline.mean}`}));
  // exact numbers for scripts and tests (the text above is rounded for people)
  card.dataset.mean = v.mean;
  card.dataset.ciLow = v.ci_low;
  card.dataset.ciHigh = v.ci_high;
  card.dataset.diffMean = d.mean;
  card.dataset.baselineMean = kpi.baseline.mean;
  return card;
}

function chartUrl(job, name) {
  return `/api/runs/${job.id}/charts/${name}.png?lang=${state.lang}`;
}

function chartImage(job, name) {
  const frame = el("figure", {class: "chart loading"});
  const label = state.meta.charts[name][state.lang];
  const image = el("img", {src: chartUrl(job, name), alt: label, class: "chart-img",
                           onload: () => frame.classList.remove("loading")});
  frame.append(el("div", {class: "chart-wait small muted", text: t("chart_loading")}), image);
  return frame;
}

function renderCharts() {
  const tabs = Object.entries(state.meta.charts).map(([name, label]) =>
    el("button", {type: "button", role: "tab", class: name === state.chart ? "tab active" : "tab",
                  "aria-selected": name === state.chart ? "true" : "false", "data-chart": name,
                  onclick: () => { state.chart = name; renderCharts(); renderCompare(); }}, label[state.lang]));
  $("chart-tabs").replaceChildren(...tabs);
  $("chart-area").replaceChildren(chartImage(state.result, state.chart));
}

// --------------------------------------------------------------------------- pinned comparison

function renderCompare() {
  const pinned = state.pinned;
  const current = state.result;
  $("compare").hidden = !pinned;
  if (!pinned) return;
  const same = current && current.id === pinned.id;
  $("compare-note").textContent = same ? t("pinned_note") : t("compare_note");
  const head = el("tr", {}, el("th", {text: t("indicator")}), el("th", {text: t("pinned")}),
                  el("th", {text: t("current")}), el("th", {text: t("change")}));
  const rows = [head, el("tr", {class: "settings-row"}, el("th", {text: t("settings")}),
                         el("td", {}, describeRun(pinned)), el("td", {}, same ? "" : describeRun(current)), el("td"))];
  for (const kpi of pinned.kpis) {
    const now = same ? null : current.kpis.find((k) => k.metric === kpi.metric);
    const change = !same && current.changes && current.changes[kpi.metric];
    rows.push(el("tr", {"data-metric": kpi.metric},
      el("th", {text: kpiMeta(kpi.metric).label[state.lang]}),
      el("td", {class: "num", text: kpi.text[state.lang].variant.mean}),
      el("td", {class: "num", text: now ? now.text[state.lang].variant.mean : ""}),
      el("td", {class: "num", text: change ? change[state.lang] : ""})));
  }
  $("compare-table").replaceChildren(...rows);
  $("compare-charts").replaceChildren(
    el("div", {}, el("h3", {class: "small", text: t("pinned")}), chartImage(pinned, state.chart)),
    same ? el("div") : el("div", {}, el("h3", {class: "small", text: t("current")}), chartImage(current, state.chart)));
}

function describeRun(job) {
  const chips = settingsChips(job);
  const run = t("run_line", {scenario: job.scenario.name, days: job.levers.horizon_days,
                             reps: job.levers.replications, seed: job.levers.seed});
  return el("div", {}, el("div", {class: "small muted", text: run}), el("div", {class: "chips"}, chips));
}

// --------------------------------------------------------------------------- downloads

async function downloadZip() {
  const job = state.result;
  const button = $("download-zip");
  button.disabled = true;
  showMessage("zip-message", t("zip_preparing"));
  try {
    const response = await fetch(`/api/runs/${job.id}/experiment.zip?lang=${state.lang}`);
    if (!response.ok) throw new Error((await response.json()).error);
    const disposition = response.headers.get("content-disposition") || "";
    const match = disposition.match(/filename="?([^";]+)"?/);
    const filename = match ? match[1] : "experiment.zip";
    saveBlob(await response.blob(), filename);
    showMessage("zip-message", t("zip_ready", {file: filename}));
  } catch (error) {
    showMessage("zip-message", error.message);
  } finally {
    button.disabled = false;
  }
}

// --------------------------------------------------------------------------- language and definitions

function renderDefinitions() {
  $("definitions-note").textContent = t("definitions_note");
  $("definition-list").replaceChildren(...state.meta.kpis.flatMap((kpi) => [
    el("dt", {id: `def-${kpi.metric}`}, kpi.label[state.lang], " ",
       el("span", {class: "muted small", text: `(${kpi.metric}, ${kpi.unit_text[state.lang]})`})),
    el("dd", {}, kpi.definition, kpi.source ? el("span", {class: "muted small"}, ` ${t("source")}: ${kpi.source}`) : null),
  ]));
}

function applyLanguage(lang) {
  state.lang = lang;
  localStorage.setItem("eipsim-lang", lang);
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.classList.toggle("active", button.dataset.lang === lang);
    button.setAttribute("aria-pressed", button.dataset.lang === lang ? "true" : "false");
  }
  $("footer").textContent = t("footer", {version: state.meta.version});
  renderDefinitions();
  if (state.entry) renderLevers();
  renderCommands();
  renderRunButton();
  renderResult();
  renderCompare();
}

// --------------------------------------------------------------------------- start

async function start() {
  state.meta = await api("/api/meta");
  $("scenario").addEventListener("change", (e) => selectScenario(e.target.value));
  $("upload").addEventListener("change", (e) => e.target.files[0] && uploadScenario(e.target.files[0]));
  $("run").addEventListener("click", runOrCancel);
  $("pin").addEventListener("click", () => { state.pinned = state.result; renderCompare(); });
  $("unpin").addEventListener("click", () => { state.pinned = null; renderCompare(); });
  $("download-zip").addEventListener("click", downloadZip);
  $("download-yaml").addEventListener("click", downloadYaml);
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => applyLanguage(button.dataset.lang));
  }
  applyLanguage(state.lang);
  await loadScenarios();
}

start().catch((error) => showError("run-error", error.message));
