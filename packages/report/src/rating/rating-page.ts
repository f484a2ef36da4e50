// The blind rating page: one item at a time, its instruction, input and reference, and the models' answers as
// "Answer A, B, C..." in the rater's seeded, rotated order. The page holds answers by slot only: no model name
// is in its HTML or data. Served, it posts slot scores to the server (which maps slots to models); written to a
// file, it keeps them in localStorage and exports JSONL for `judgekit rate --import`.
import { ratingOrder, ratingRunId, type RatingRecord, type RatingScale, type RunItems } from '@judgekit/core';
import { escapeHtml, jsonForScript } from '../escape-html.js';

export interface RatingPageOptions {
  rater: string;
  scale: RatingScale;
  /** `served`: post to /api/ratings; `file`: localStorage and a JSONL export. */
  mode: 'served' | 'file';
  /** The rater's earlier ratings (served mode): marked done and shown filled in. */
  previous?: readonly RatingRecord[];
  title?: string;
}

export interface RatingPageData {
  rater: string;
  scale: RatingScale;
  mode: 'served' | 'file';
  run: string;
  slots: number;
  items: Array<{ index: number; instruction: string; input: string; reference: string; answers: string[] }>;
  /** Item index -> slot scores already given by this rater. */
  done: Record<string, number[]>;
}

export const SLOT_LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** The page's data for one rater: answers in that rater's slot order, earlier ratings by slot. */
export function ratingPageData(items: RunItems, options: RatingPageOptions): RatingPageData {
  const n = items.models.length;
  const done: Record<string, number[]> = {};
  const positionOf = new Map(items.items.map((it, p) => [it.index, p]));
  for (const record of options.previous ?? []) {
    const p = positionOf.get(record.item);
    if (record.rater !== options.rater || p === undefined || record.scale !== options.scale) continue;
    const slotScores = ratingOrder(options.rater, p, n).map((m) => record.scores[(items.models[m] as { name: string }).name]);
    if (slotScores.every((v) => typeof v === 'number')) done[String(record.item)] = slotScores as number[];
  }
  return {
    rater: options.rater,
    scale: options.scale,
    mode: options.mode,
    run: ratingRunId(items),
    slots: n,
    items: items.items.map((it, p) => ({
      index: it.index,
      instruction: it.instruction,
      input: it.input,
      reference: it.output,
      answers: ratingOrder(options.rater, p, n).map((m) => (items.models[m] as { responses: string[] }).responses[p] ?? ''),
    })),
    done,
  };
}

function shortcutHelp(scale: RatingScale, slots: number): string {
  const digits =
    scale === '10'
      ? '<kbd>1</kbd>–<kbd>9</kbd> score the selected answer (<kbd>0</kbd> = 10) and select the next'
      : scale === '100'
        ? '<kbd>0</kbd>–<kbd>9</kbd> type the selected answer\'s score (0-100); <kbd>Backspace</kbd> deletes a digit'
        : `<kbd>1</kbd>–<kbd>${Math.min(9, slots)}</kbd> give the selected answer that rank (1 = best) and select the next`;
  const arrows = scale === 'rank' ? '<kbd>↑</kbd>/<kbd>↓</kbd> move the selected answer up or down the ranking' : `<kbd>↑</kbd>/<kbd>↓</kbd> raise or lower its score by ${scale === '10' ? 1 : 5}`;
  return `<ul id="shortcuts"><li>${digits}</li><li><kbd>←</kbd>/<kbd>→</kbd> select the previous or next answer</li><li>${arrows}</li><li><kbd>Enter</kbd> select the next unscored answer; when all are scored, save and go to the next unrated item</li><li><kbd>[</kbd>/<kbd>]</kbd> previous or next item without saving</li></ul>`;
}

const CSS = `
:root{--fg:#18181b;--muted:#71717a;--line:#e4e4e7;--accent:#2563eb}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg)}
header{padding:12px 24px;border-bottom:1px solid var(--line);background:#fafafa;display:flex;flex-wrap:wrap;gap:16px;align-items:baseline}
header h1{margin:0;font-size:18px}main{padding:8px 24px 40px;max-width:1400px}.muted{color:var(--muted)}
.block h3{margin:12px 0 4px;font-size:14px}pre{white-space:pre-wrap;word-break:break-word;background:#f8fafc;border:1px solid var(--line);padding:8px;margin:0;font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;max-height:300px;overflow:auto}
.answers{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px;margin-top:12px}
.answer{border:2px solid var(--line);border-radius:6px;padding:8px;cursor:pointer}.answer.active{border-color:var(--accent)}
.answer h3{margin:0 0 6px;font-size:14px;display:flex;justify-content:space-between;align-items:center}.answer input{width:5em;font:inherit;text-align:center}
.controls{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:12px 0}#status{font-weight:600}#status.error{color:#b91c1c}
kbd{border:1px solid #d4d4d8;border-bottom-width:2px;border-radius:3px;padding:0 4px;font-size:12px;background:#fff}
details{margin-top:8px}#shortcuts{margin:6px 0}.done-mark{color:#15803d}
`;

// Builds every node with textContent; keys drive the scoring, buttons do the same for the mouse.
const SCRIPT = `
(function(){
  var data = JSON.parse(document.getElementById('rating-data').textContent);
  var LETTERS = ${JSON.stringify(SLOT_LETTERS)};
  var n = data.slots, scale = data.scale;
  var storeKey = 'judgekit-rate/' + data.run + '/' + data.rater;
  var saved = {};
  if (data.mode === 'file') { try { saved = JSON.parse(localStorage.getItem(storeKey) || '{}'); } catch (e) { saved = {}; } Object.keys(saved).forEach(function(k){ data.done[k] = saved[k].slotScores; }); }
  var current = 0, active = 0, values = [], typed = false, shownAt = Date.now();
  var view = document.getElementById('item-view'), status = document.getElementById('status'), progress = document.getElementById('progress');
  function el(tag, cls, text){ var x = document.createElement(tag); if (cls) x.className = cls; if (text !== undefined) x.textContent = text; return x; }
  function isDone(i){ return Object.prototype.hasOwnProperty.call(data.done, String(data.items[i].index)); }
  function doneCount(){ var c = 0; for (var i = 0; i < data.items.length; i++) if (isDone(i)) c++; return c; }
  function firstOpen(from){ for (var k = 0; k < data.items.length; k++) { var i = (from + k) % data.items.length; if (!isDone(i)) return i; } return -1; }
  function lo(){ return scale === '100' ? 0 : 1; }
  function hi(){ return scale === '100' ? 100 : scale === '10' ? 10 : n; }
  function complete(){ for (var k = 0; k < n; k++) if (values[k] === null) return false; if (scale === 'rank') { var seen = {}; for (var k2 = 0; k2 < n; k2++) { if (seen[values[k2]]) return false; seen[values[k2]] = true; } } return true; }
  function setStatus(text, error){ status.textContent = text; status.className = error ? 'error' : ''; }
  function render(){
    var cards = view.querySelectorAll('.answer');
    for (var k = 0; k < cards.length; k++) {
      cards[k].className = 'answer' + (k === active ? ' active' : '');
      var input = cards[k].querySelector('input');
      input.value = values[k] === null ? '' : String(values[k]);
    }
    progress.textContent = 'Item ' + (current + 1) + ' of ' + data.items.length + ' · ' + doneCount() + ' rated';
  }
  function show(i){
    current = (i + data.items.length) % data.items.length;
    var item = data.items[current];
    var previous = data.done[String(item.index)];
    values = []; for (var k = 0; k < n; k++) values.push(previous ? previous[k] : null);
    active = 0; typed = false; shownAt = Date.now();
    view.textContent = '';
    view.setAttribute('data-index', String(item.index));
    view.setAttribute('data-done', previous ? 'true' : 'false');
    var head = el('h2', '', 'Item #' + item.index);
    if (previous) head.appendChild(el('span', 'done-mark', ' ✓ rated (saving again replaces it)'));
    view.appendChild(head);
    [['Instruction', item.instruction], ['Input', item.input], ['Reference answer', item.reference]].forEach(function(pair){
      if (pair[0] === 'Input' && !pair[1]) return;
      var b = el('div', 'block'); b.appendChild(el('h3', '', pair[0])); b.appendChild(el('pre', '', pair[1])); view.appendChild(b);
    });
    var grid = el('div', 'answers');
    item.answers.forEach(function(text, k){
      var card = el('div', 'answer'); card.setAttribute('data-slot', LETTERS[k]);
      var h = el('h3', '', 'Answer ' + LETTERS[k]);
      var input = el('input'); input.setAttribute('inputmode', 'numeric'); input.setAttribute('aria-label', (scale === 'rank' ? 'Rank of answer ' : 'Score of answer ') + LETTERS[k]);
      input.addEventListener('input', function(){ var v = Number(input.value); values[k] = input.value === '' || !isFinite(v) ? null : Math.max(lo(), Math.min(hi(), Math.round(v))); });
      input.addEventListener('focus', function(){ active = k; typed = false; render(); });
      h.appendChild(input); card.appendChild(h); card.appendChild(el('pre', '', text));
      card.addEventListener('click', function(){ active = k; typed = false; render(); });
      grid.appendChild(card);
    });
    view.appendChild(grid);
    setStatus(previous ? 'Already rated' : '', false);
    render();
  }
  function next(){ active = (active + 1) % n; typed = false; }
  function setRank(k, r){ for (var j = 0; j < n; j++) if (j !== k && values[j] === r) values[j] = values[k]; values[k] = r; }
  function record(item){ return { rater: data.rater, item: item.index, scale: scale, slotScores: values.slice(), elapsedMs: Date.now() - shownAt, time: new Date().toISOString(), run: data.run }; }
  function afterSave(item){
    data.done[String(item.index)] = values.slice();
    var open = firstOpen(current + 1);
    if (open === -1) { setStatus('Saved. All ' + data.items.length + ' items are rated.', false); render(); view.setAttribute('data-done', 'true'); return; }
    show(open); setStatus('Saved item #' + item.index, false);
  }
  function submit(){
    if (!complete()) { setStatus(scale === 'rank' ? 'Give every answer a different rank first.' : 'Score every answer first.', true); return; }
    var item = data.items[current], body = record(item);
    if (data.mode === 'file') { saved[String(item.index)] = body; localStorage.setItem(storeKey, JSON.stringify(saved)); afterSave(item); return; }
    setStatus('Saving…', false);
    fetch('api/ratings', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      .then(function(r){ return r.json().then(function(j){ if (!r.ok) throw new Error(j.error || ('HTTP ' + r.status)); return j; }); })
      .then(function(){ afterSave(item); })
      .catch(function(e){ setStatus('Not saved: ' + e.message, true); });
  }
  function exportRatings(){
    var lines = Object.keys(saved).map(function(k){ return JSON.stringify(saved[k]); }).join('\\n') + '\\n';
    var a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([lines], { type: 'application/x-ndjson' }));
    a.download = 'ratings-' + data.rater.replace(/[^A-Za-z0-9_.-]+/g, '_') + '.jsonl';
    document.body.appendChild(a); a.click(); a.remove();
  }
  document.addEventListener('keydown', function(ev){
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var key = ev.key, handled = true;
    if (/^[0-9]$/.test(key)) {
      var d = Number(key);
      if (scale === '10') { values[active] = d === 0 ? 10 : d; next(); }
      else if (scale === 'rank') { if (d >= 1 && d <= n) { setRank(active, d); next(); } }
      else { var text = (typed && values[active] !== null ? String(values[active]) : '') + key; var v = Number(text); values[active] = v > 100 ? d : v; typed = true; }
    } else if (key === 'Backspace') {
      if (scale === '100' && values[active] !== null) { var s = String(values[active]).slice(0, -1); values[active] = s === '' ? null : Number(s); typed = true; } else values[active] = null;
    } else if (key === 'ArrowRight') next();
    else if (key === 'ArrowLeft') { active = (active + n - 1) % n; typed = false; }
    else if (key === 'ArrowUp' || key === 'ArrowDown') {
      var up = key === 'ArrowUp';
      if (scale === 'rank') { var r = values[active] === null ? n : values[active]; setRank(active, Math.max(1, Math.min(n, r + (up ? -1 : 1)))); }
      else { var step = scale === '10' ? 1 : 5; var base = values[active] === null ? (scale === '10' ? 5 : 50) : values[active] + (up ? step : -step); values[active] = Math.max(lo(), Math.min(hi(), base)); }
      typed = false;
    } else if (key === 'Enter') {
      if (complete()) { submit(); return ev.preventDefault(); }
      for (var k = 1; k <= n; k++) { var j = (active + k) % n; if (values[j] === null) { active = j; break; } }
      typed = false;
    } else if (key === '[' ) show(current - 1);
    else if (key === ']') show(current + 1);
    else handled = false;
    if (handled) { ev.preventDefault(); render(); }
  });
  document.getElementById('prev').addEventListener('click', function(){ show(current - 1); });
  document.getElementById('next').addEventListener('click', function(){ show(current + 1); });
  document.getElementById('save').addEventListener('click', submit);
  var exportButton = document.getElementById('export');
  if (exportButton) exportButton.addEventListener('click', exportRatings);
  var start = firstOpen(0);
  if (data.items.length === 0) view.textContent = 'No items.';
  else { show(start === -1 ? 0 : start); if (start === -1) setStatus('All items are rated; you can change any of them.', false); }
})();
`;

/** The self-contained rating page for one rater. */
export function renderRatingPage(items: RunItems, options: RatingPageOptions): string {
  const data = ratingPageData(items, options);
  const title = options.title ?? 'judgekit blind rating';
  const scaleText = options.scale === 'rank' ? `rank the ${data.slots} answers, 1 = best` : options.scale === '10' ? 'score each answer 1-10' : 'score each answer 0-100';
  const save =
    options.mode === 'served'
      ? 'Each saved item goes straight into the run directory; reload to carry on where you stopped.'
      : 'Ratings stay in this browser (localStorage) until you export them: <button type="button" id="export">Export ratings (JSONL)</button>, then <code>judgekit rate &lt;run-dir&gt; --import &lt;file&gt;</code>.';
  const connect = options.mode === 'served' ? " connect-src 'self';" : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline';${connect}">
<title>${escapeHtml(title)}</title><style>${CSS}</style></head>
<body><header><h1>${escapeHtml(title)}</h1><span>Rater <b id="rater">${escapeHtml(options.rater)}</b></span><span class="muted">${scaleText}</span><span id="progress"></span></header>
<main>
<p>The answers are shown in a shuffled order, without the names of the models that wrote them. ${save}</p>
<details open><summary>Keyboard shortcuts</summary>${shortcutHelp(options.scale, data.slots)}</details>
<div class="controls"><button type="button" id="prev">◀ Prev</button><button type="button" id="save">Save (Enter)</button><button type="button" id="next">Next ▶</button><span id="status" role="status"></span></div>
<div id="item-view"></div>
</main>
<script type="application/json" id="rating-data">${jsonForScript(data)}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}

/** The served page's first screen when no rater id is known yet. */
export function renderRaterForm(title = 'judgekit blind rating'): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"><title>${escapeHtml(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:40px}</style></head>
<body><h1>${escapeHtml(title)}</h1><form method="get" action="./"><label>Your rater id (your ratings are saved under it; use the same one to carry on) <input name="rater" required autofocus></label> <button type="submit">Start</button></form></body></html>
`;
}
