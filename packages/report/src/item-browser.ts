// The report's item browser: search, filter and sort the items, open one by its #item-<index> link, and read each
// judgment with the judge prompt it answered. The data travels as one escaped JSON block; the script builds DOM
// nodes with textContent only, so an answer that contains markup shows as text.
import type { RunAnalysis } from '@judgekit/core';
import { fenceFor, formatBatchedJudgePrompt, formatSingleJudgePrompt, scrubSecrets, type SingleJudgeWording } from '@judgekit/core';
import type { LoadedRun } from './load-run-directory.js';

export interface BrowserJudgment {
  score: number | null;
  comments: string;
  /** Why there is no score. */
  failure?: string;
  /** No score because the call failed (`call`) or because the reply could not be read (`parse`). */
  failed?: 'call' | 'parse';
  lenient?: true;
  position: number;
  repeat: number;
  /** Batched judgments: index into the item's `orders`, the slot order of the call (rebuilds its prompt). */
  order?: number;
  /**
   * The judge's raw replies behind this judgment, as indices into the item's `replies`: a single judge's reply to
   * this model's call, a batched call's one reply (shared by the item's models), or each pairwise comparison the
   * model was in. Absent for runs logged before judgekit recorded replies.
   */
  replies?: number[];
}

export interface BrowserItem {
  index: number;
  instruction: string;
  input: string;
  output: string;
  category?: string;
  answers: string[];
  /**
   * The judge prompts in pieces, so each answer travels once (the page joins them; a test checks the joins equal
   * the core prompt functions): a single prompt is `single[wording][0] + answer + single[wording][1]`; a batched one
   * is `batchedHead`, then per slot "\n\n# Model k\n\n" and the answer in a fence of `fences[model]` backticks, then "\n".
   */
  single: Partial<Record<SingleJudgeWording, [string, string]>>;
  batchedHead?: string;
  fences: number[];
  /** Distinct batched slot orders (model indices, slot 1 first). */
  orders: number[][];
  /** `judgments[judge][model]`: every repeat's judgment. */
  judgments: BrowserJudgment[][][];
  /** Raw judge replies, each once (a batched reply or a pairwise comparison's is referenced by several judgments). */
  replies?: string[];
  /** Labels of pairwise replies by index into `replies`: who was shown as Model A and B, and the verdict. */
  replyLabels?: Record<number, string>;
}

export interface BrowserData {
  models: string[];
  judges: Array<{ name: string; mode: string; wording?: string }>;
  items: BrowserItem[];
}

/** The single judge's wording as run.json recorded it for this judge (`judge` of a judge run, `config.judges` of a study). */
export function recordedWording(run: Pick<LoadedRun, 'runRecord'>, judge: string): SingleJudgeWording | undefined {
  const record = run.runRecord as { judge?: { name?: unknown; wording?: unknown }; config?: { judges?: unknown } } | undefined;
  const candidates = [record?.judge, ...(Array.isArray(record?.config?.judges) ? (record.config.judges as unknown[]) : [])];
  for (const candidate of candidates) {
    const c = candidate as { name?: unknown; wording?: unknown } | undefined;
    if (c?.name === judge && (c.wording === 'book' || c.wording === 'study')) return c.wording;
  }
  return undefined;
}

/** A failed call's reason starts with its ChatErrorKind (askJudgeModel); any other reason is an unreadable reply. */
const CALL_FAILURE = /^(rate-limit|server|timeout|network|auth|bad-request|bad-response|aborted):/;
/** Stands in for the answer while a single prompt is split around it. */
const ANSWER_MARK = '\u0000answer\u0000';

export function itemBrowserData(run: LoadedRun, analysis: RunAnalysis, categories?: readonly string[]): BrowserData {
  const judges = analysis.judges.map((j) => {
    const wording = j.mode === 'single' ? (recordedWording(run, j.judge) ?? 'book') : undefined;
    return { name: j.judge, mode: j.mode, ...(wording ? { wording } : {}) };
  });
  const judgeIndex = new Map(judges.map((j, k) => [j.name, k]));
  const modelIndex = new Map(analysis.models.map((m, k) => [m, k]));
  const itemIndex = new Map(run.items.items.map((it, k) => [it.index, k]));
  const items: BrowserItem[] = run.items.items.map((it, i) => ({
    index: it.index,
    instruction: it.instruction,
    input: it.input,
    output: it.output,
    ...(categories?.[i] ? { category: categories[i] } : {}),
    answers: run.items.models.map((m) => m.responses[i] ?? ''),
    single: {},
    fences: run.items.models.map((m) => fenceFor(m.responses[i] ?? '').length),
    orders: [],
    judgments: judges.map(() => analysis.models.map(() => [])),
  }));
  const orderIndex = (item: BrowserItem, order: number[]): number => {
    const key = order.join(',');
    const found = item.orders.findIndex((o) => o.join(',') === key);
    return found >= 0 ? found : item.orders.push(order) - 1;
  };
  const sorted = [...run.judgments].sort((a, b) => a.repeat - b.repeat);
  for (const record of sorted) {
    const j = judgeIndex.get(record.judge);
    const i = itemIndex.get(record.index);
    if (j === undefined || i === undefined) continue;
    const source = run.items.items[i] as LoadedRun['items']['items'][number];
    const item = items[i] as BrowserItem;
    const judge = judges[j] as (typeof judges)[number];
    // A batched call showed the models in slot order: its prompt is rebuilt from the recorded positions.
    const slots = record.scores.filter((s) => typeof s.position === 'number' && modelIndex.has(s.model)).sort((a, b) => (a.position as number) - (b.position as number));
    let order: number | undefined;
    if (record.mode === 'batched' && slots.length === record.scores.length && slots.length > 0) {
      item.batchedHead ??= formatBatchedJudgePrompt({ prompt: source.prompt, output: source.output, responses: [] }).replace(/\n$/, '');
      order = orderIndex(item, slots.map((s) => modelIndex.get(s.model) as number));
    }
    if (record.mode === 'single' && judge.wording && !item.single[judge.wording as SingleJudgeWording]) {
      const wording = judge.wording as SingleJudgeWording;
      const parts = formatSingleJudgePrompt({ prompt: source.prompt, output: source.output, response: ANSWER_MARK }, wording).split(ANSWER_MARK);
      if (parts.length === 2) item.single[wording] = parts as [string, string];
    }
    // Each raw reply travels once per item; the judgments refer to it by index.
    const replyIndex = (text: string): number => (item.replies ??= []).push(scrubSecrets(text)) - 1;
    const batchedReply = typeof record.reply === 'string' ? replyIndex(record.reply) : undefined;
    const comparisonReplies = (record.comparisons ?? []).map((c) => {
      if (typeof c.reply !== 'string') return undefined;
      const r = replyIndex(c.reply);
      (item.replyLabels ??= {})[r] = `${c.a} as Model A, ${c.b} as Model B: ${c.winner === null ? 'no verdict' : c.winner === 'tie' ? 'tie' : `${c.winner} (${c.winner === 'A' ? c.a : c.b})`}`;
      return r;
    });
    const repliesOf = (s: (typeof record.scores)[number]): number[] => {
      if (typeof s.reply === 'string') return [replyIndex(s.reply)];
      if (batchedReply !== undefined) return [batchedReply];
      return (record.comparisons ?? []).flatMap((c, k) => {
        const r = comparisonReplies[k];
        return r !== undefined && (c.a === s.model || c.b === s.model) ? [r] : [];
      });
    };
    for (const s of record.scores) {
      const m = modelIndex.get(s.model);
      if (m === undefined) continue;
      const replies = repliesOf(s);
      item.judgments[j]![m]!.push({
        score: s.score,
        comments: s.comments ? scrubSecrets(s.comments) : '',
        ...(s.failure ? { failure: scrubSecrets(s.failure) } : {}),
        ...(s.score === null ? { failed: CALL_FAILURE.test(s.failure ?? '') ? ('call' as const) : ('parse' as const) } : {}),
        ...(s.lenient ? { lenient: true as const } : {}),
        position: s.position ?? 0,
        repeat: record.repeat,
        ...(order !== undefined ? { order } : {}),
        ...(replies.length > 0 ? { replies } : {}),
      });
    }
  }
  return { models: analysis.models, judges, items };
}

export function itemBrowserSection(data: BrowserData): string {
  const categories = [...new Set(data.items.map((it) => it.category).filter((c): c is string => c !== undefined))];
  const option = (value: string, label: string): string => `<option value="${value}">${label}</option>`;
  const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return `<section id="browser"><h2>Item browser</h2>
<p class="muted">Search the instruction, input, reference and answers; filter by model, judge, category or what went wrong; sort by score or by how much the judges and repeats disagree (spread: per model, the highest minus the lowest score over the chosen judges' repeats, averaged over models). Each item has a link (#item-&lt;index&gt;).</p>
<div class="controls filters">
<input type="search" id="item-search" placeholder="search text" aria-label="search items">
<select id="filter-model" aria-label="model">${option('-1', 'all models')}${data.models.map((m, k) => option(String(k), esc(m))).join('')}</select>
<select id="filter-judge" aria-label="judge">${option('-1', 'all judges')}${data.judges.map((j, k) => option(String(k), `${esc(j.name)} (${esc(j.mode)})`)).join('')}</select>
${categories.length > 0 ? `<select id="filter-category" aria-label="category">${option('', 'all categories')}${categories.map((c) => option(esc(c), esc(c))).join('')}</select>` : ''}
<select id="filter-status" aria-label="status">${option('', 'any outcome')}${option('failed', 'no score (any failure)')}${option('parse-failed', 'reply unreadable (parse failed)')}${option('call-failed', 'call failed')}${option('lenient', 'read leniently')}</select>
<select id="item-sort" aria-label="sort">${option('index', 'item order')}${option('score-asc', 'score, lowest first')}${option('score-desc', 'score, highest first')}${option('disagreement', 'judge disagreement, largest first')}${option('category', 'category')}</select>
</div>
<div class="browser"><div class="item-list-box"><div id="item-count" class="muted"></div><ol id="item-list"></ol></div>
<div class="item-pane"><div class="controls"><button type="button" id="prev">◀ Prev</button><select id="item-select" aria-label="item"></select><button type="button" id="next">Next ▶</button><span id="item-position" class="muted"></span></div>
<div id="item-view"></div></div></div></section>`;
}

export const ITEM_BROWSER_CSS = `
.filters{flex-wrap:wrap}.filters input,.filters select{max-width:100%}.controls{flex-wrap:wrap}
.browser{display:grid;grid-template-columns:minmax(220px,320px) minmax(0,1fr);gap:16px;align-items:start}
.item-list-box{max-height:80vh;overflow:auto;border:1px solid var(--line);padding:4px 8px}#item-list{margin:4px 0;padding-left:0;list-style:none}
#item-list li{padding:3px 0;border-bottom:1px solid #f4f4f5;overflow-wrap:anywhere}#item-list li.current{background:#eff6ff}#item-list a{color:var(--fg);text-decoration:none}#item-list .stat{color:var(--muted);font-size:12px;margin-left:4px}
.item-pane{min-width:0}.judgment{margin:2px 0 4px;font-size:12px}.judgment summary{cursor:pointer;color:#3f3f46}.judgment h5{margin:6px 0 2px;font-size:12px}.item-link{font-size:12px;margin-left:8px}
@media (max-width:760px){.browser{grid-template-columns:minmax(0,1fr)}.item-list-box{max-height:40vh}}
`;

export const ITEM_BROWSER_SCRIPT = `
(function(){
  var data = JSON.parse(document.getElementById('item-data').textContent);
  var byId = function(id){ return document.getElementById(id); };
  var select = byId('item-select'), view = byId('item-view'), pos = byId('item-position'), list = byId('item-list'), count = byId('item-count');
  var search = byId('item-search'), fModel = byId('filter-model'), fJudge = byId('filter-judge'), fCategory = byId('filter-category'), fStatus = byId('filter-status'), sortBy = byId('item-sort');
  var visible = [], current = -1;
  function el(tag, cls, text){ var n = document.createElement(tag); if (cls) n.className = cls; if (text !== undefined) n.textContent = text; return n; }
  function color(v){ if (v === null) return '#d4d4d8'; var t = Math.max(0, Math.min(1, v / 100)); return t < 0.5 ? 'rgb(' + Math.round(220 + 30 * t * 2) + ',' + Math.round(38 + 197 * t * 2) + ',' + Math.round(38 + 122 * t * 2) + ')' : 'rgb(' + Math.round(250 - 228 * (t - 0.5) * 2) + ',' + Math.round(235 - 72 * (t - 0.5) * 2) + ',' + Math.round(160 - 86 * (t - 0.5) * 2) + ')'; }
  function chosen(n, v){ var out = []; for (var k = 0; k < n; k++) if (v < 0 || v === k) out.push(k); return out; }
  function models(){ return chosen(data.models.length, Number(fModel.value)); }
  function judges(){ return chosen(data.judges.length, Number(fJudge.value)); }
  function judgments(item){ var out = []; judges().forEach(function(j){ models().forEach(function(m){ item.judgments[j][m].forEach(function(s){ out.push(s); }); }); }); return out; }
  function status(item, want){
    if (!want) return true;
    return judgments(item).some(function(s){
      if (want === 'failed') return s.score === null;
      if (want === 'parse-failed') return s.failed === 'parse';
      if (want === 'call-failed') return s.failed === 'call';
      return s.lenient === true;
    });
  }
  function score(item){ var v = judgments(item).filter(function(s){ return s.score !== null; }).map(function(s){ return s.score; }); return v.length ? v.reduce(function(a, b){ return a + b; }, 0) / v.length : NaN; }
  // Spread: per model, max minus min over the chosen judges' repeats; averaged over models with two or more scores.
  function spread(item){
    var spreads = [];
    models().forEach(function(m){ var v = []; judges().forEach(function(j){ item.judgments[j][m].forEach(function(s){ if (s.score !== null) v.push(s.score); }); }); if (v.length >= 2) spreads.push(Math.max.apply(null, v) - Math.min.apply(null, v)); });
    return spreads.length ? spreads.reduce(function(a, b){ return a + b; }, 0) / spreads.length : NaN;
  }
  function matches(item, q){
    if (!q) return true;
    var texts = [item.instruction, item.input, item.output];
    models().forEach(function(m){ texts.push(item.answers[m]); });
    return texts.some(function(t){ return t.toLowerCase().indexOf(q) >= 0; });
  }
  function byNumber(f, dir){ return function(a, b){ var x = f(data.items[a]), y = f(data.items[b]); if (isNaN(x) && isNaN(y)) return a - b; if (isNaN(x)) return 1; if (isNaN(y)) return -1; return dir * (x - y) || a - b; }; }
  // A new sort opens the top item; a search or filter keeps the open item while it still matches.
  function refresh(keep){
    var q = search.value.trim().toLowerCase(), cat = fCategory ? fCategory.value : '', st = fStatus.value;
    visible = [];
    data.items.forEach(function(item, i){ if (matches(item, q) && (!cat || item.category === cat) && status(item, st)) visible.push(i); });
    var s = sortBy.value;
    if (s === 'score-asc') visible.sort(byNumber(score, 1));
    else if (s === 'score-desc') visible.sort(byNumber(score, -1));
    else if (s === 'disagreement') visible.sort(byNumber(spread, -1));
    else if (s === 'category') visible.sort(function(a, b){ var x = data.items[a].category || '', y = data.items[b].category || ''; return x < y ? -1 : x > y ? 1 : a - b; });
    list.textContent = ''; select.textContent = '';
    visible.forEach(function(i){
      var item = data.items[i];
      var li = el('li'); li.setAttribute('data-index', String(item.index));
      var a = el('a', '', '#' + item.index + ' ' + (item.category ? '[' + item.category + '] ' : '') + item.instruction.slice(0, 90)); a.href = '#item-' + item.index;
      li.appendChild(a);
      var sc = score(item), sp = spread(item);
      li.appendChild(el('span', 'stat', (isNaN(sc) ? 'no score' : 'score ' + sc.toFixed(1)) + (isNaN(sp) ? '' : ' · spread ' + sp.toFixed(0))));
      list.appendChild(li);
      var o = el('option', '', '#' + item.index + ' ' + (item.category ? '[' + item.category + '] ' : '') + item.instruction.slice(0, 80)); o.value = String(i); select.appendChild(o);
    });
    count.textContent = visible.length + ' of ' + data.items.length + ' items';
    if (visible.length === 0) { current = -1; view.textContent = 'No item matches.'; view.removeAttribute('data-index'); pos.textContent = ''; return; }
    show(keep && visible.indexOf(current) >= 0 ? current : visible[0], false);
  }
  function block(title, text){ var d = el('div', 'item-meta'); d.appendChild(el('h4', '', title)); d.appendChild(el('pre', '', text)); return d; }
  // Joins the prompt pieces (see BrowserItem in item-browser.ts); a test checks the result equals the core functions'.
  function promptFor(item, judge, s, m){
    if (judge.mode === 'single') { var p = item.single[judge.wording]; return p ? p[0] + item.answers[m] + p[1] : null; }
    if (judge.mode !== 'batched' || s.order === undefined || item.batchedHead === undefined) return null;
    return item.batchedHead + item.orders[s.order].map(function(mm, k){ var f = new Array(item.fences[mm] + 1).join('\\u0060'); return '\\n\\n# Model ' + (k + 1) + '\\n\\n' + f + '\\n' + item.answers[mm] + '\\n' + f; }).join('') + '\\n';
  }
  function judgmentDetails(item, judge, s, m){
    var d = el('details', 'judgment');
    d.appendChild(el('summary', '', judge.name + ' repeat ' + s.repeat + (s.position ? ', shown as Model ' + s.position : '') + ': ' + (s.score === null ? 'no score' : s.score) + (s.lenient ? ' (read leniently)' : '')));
    d.appendChild(el('h5', '', 'Judge prompt' + (judge.mode === 'single' ? ' (rebuilt from items.json, ' + judge.wording + ' wording)' : ' (rebuilt from items.json in the recorded slot order)')));
    var prompt = promptFor(item, judge, s, m);
    d.appendChild(el('pre', 'judge-prompt', prompt === null ? 'not rebuilt for ' + judge.mode + ' judges' : prompt));
    if (s.replies) s.replies.forEach(function(r){ var label = item.replyLabels && item.replyLabels[r]; d.appendChild(el('h5', '', 'Raw reply' + (label ? ' (' + label + ')' : ''))); d.appendChild(el('pre', 'judge-reply', item.replies[r])); });
    d.appendChild(el('h5', '', s.replies ? 'As read into judgments.jsonl' : 'Reply as recorded in judgments.jsonl'));
    d.appendChild(el('pre', '', 'score: ' + (s.score === null ? 'none' : s.score) + (s.comments ? '\\ncomments: ' + s.comments : '') + (s.failure ? '\\nfailure: ' + s.failure : '') + (s.lenient ? '\\nread only by the lenient parser' : '') + (s.replies ? '' : '\\n(the reply text itself is not stored in judgments.jsonl of this run, logged before judgekit recorded replies; it is in the judge cache)')));
    return d;
  }
  function show(i, scroll){
    if (i < 0 || i >= data.items.length) return;
    current = i;
    var item = data.items[i];
    var k = visible.indexOf(i);
    if (visible.length && k >= 0) select.value = String(i);
    pos.textContent = (k >= 0 ? (k + 1) + ' / ' + visible.length : 'not in the filtered list');
    Array.prototype.forEach.call(list.children, function(li){ li.className = li.getAttribute('data-index') === String(item.index) ? 'current' : ''; });
    view.textContent = '';
    view.setAttribute('data-index', String(item.index));
    var h = el('h3', '', 'Item #' + item.index + (item.category ? ' — ' + item.category : '')); h.id = 'item-' + item.index;
    var link = el('a', 'item-link', 'link'); link.href = '#item-' + item.index; h.appendChild(link);
    view.appendChild(h);
    view.appendChild(block('Instruction', item.instruction));
    if (item.input) view.appendChild(block('Input', item.input));
    view.appendChild(block('Reference output', item.output));
    var grid = el('div', 'answers');
    models().forEach(function(m){
      var card = el('div', 'answer'); card.setAttribute('data-model', data.models[m]);
      card.appendChild(el('h4', '', data.models[m]));
      judges().forEach(function(j){
        var judge = data.judges[j], line = el('div', 'judge-line'), ss = item.judgments[j][m];
        line.appendChild(el('span', 'muted', judge.name + ': '));
        if (ss.length === 0) line.appendChild(el('span', 'muted', 'not judged'));
        ss.forEach(function(s){ var b = el('span', 'score', s.score === null ? 'failed' : String(s.score)); b.style.background = color(s.score); b.title = 'repeat ' + s.repeat + (s.position ? ', shown as Model ' + s.position : ''); line.appendChild(b); });
        card.appendChild(line);
        ss.forEach(function(s){ if (s.comments) card.appendChild(el('div', 'comment', judge.name + ' r' + s.repeat + ': ' + s.comments)); });
        ss.forEach(function(s){ card.appendChild(judgmentDetails(item, judge, s, m)); });
      });
      card.appendChild(el('pre', '', item.answers[m]));
      grid.appendChild(card);
    });
    view.appendChild(grid);
    if (scroll) h.scrollIntoView();
  }
  function mark(i){ try { history.replaceState(null, '', '#item-' + data.items[i].index); } catch (err) { /* a viewer that refuses history changes still shows the item */ } }
  function step(d){ if (visible.length === 0) return; var k = visible.indexOf(current); k = k < 0 ? 0 : (k + d + visible.length) % visible.length; show(visible[k], false); mark(visible[k]); }
  function fromHash(){ var m = /^#item-(-?\\d+)$/.exec(location.hash); if (!m) return false; for (var i = 0; i < data.items.length; i++) if (String(data.items[i].index) === m[1]) { show(i, true); return true; } return false; }
  byId('prev').addEventListener('click', function(){ step(-1); });
  byId('next').addEventListener('click', function(){ step(1); });
  select.addEventListener('change', function(){ show(Number(select.value), false); mark(current); });
  [search, fModel, fJudge, fCategory, fStatus].forEach(function(c){ if (c) c.addEventListener(c === search ? 'input' : 'change', function(){ refresh(true); }); });
  sortBy.addEventListener('change', function(){ refresh(false); });
  window.addEventListener('hashchange', fromHash);
  Array.prototype.forEach.call(document.querySelectorAll('svg .cell'), function(cell){ cell.addEventListener('click', function(){ show(Number(cell.getAttribute('data-row')), false); byId('browser').scrollIntoView(); }); });
  if (data.items.length === 0) { view.textContent = 'No items.'; return; }
  refresh(false);
  fromHash();
})();
`;
