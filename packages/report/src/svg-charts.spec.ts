import { describe, expect, it } from 'vitest';
import { barChart, heatmap, lineChart, niceTicks, scatterChart, scoreColor } from './svg-charts.js';
import { escapeHtml, jsonForScript } from './escape-html.js';

describe('svg charts', () => {
  it.each([
    [0, 100, 5, [0, 20, 40, 60, 80, 100]],
    [3.2, 4.2, 5, [3.2, 3.4, 3.6, 3.8, 4, 4.2]],
    [-6, 6, 4, [-5, 0, 5]],
    [5, 5, 5, [5]],
  ])('niceTicks(%d, %d, %d)', (min, max, count, expected) => {
    expect(niceTicks(min, max, count)).toEqual(expected);
  });

  it('colours scores from red through yellow to green', () => {
    expect(scoreColor(0)).toBe('rgb(220,38,38)');
    expect(scoreColor(50)).toBe('rgb(250,235,160)');
    expect(scoreColor(100)).toBe('rgb(22,163,74)');
    expect(scoreColor(150)).toBe(scoreColor(100));
  });

  it('draws one circle per finite point, whiskers for CIs and escapes labels', () => {
    const svg = scatterChart({ title: 'a<b', xLabel: 'x & y', yLabel: 'y', series: [{ name: '<m>', points: [[1, 2], [2, 3], [Number.NaN, 1]], errors: [[1, 3], undefined, undefined], trend: true }] });
    expect(svg.match(/<circle /g)).toHaveLength(2);
    expect(svg.match(/class="whisker"/g)).toHaveLength(1);
    expect(svg).toContain('class="trend"');
    expect(svg).toContain('aria-label="a&lt;b"');
    expect(svg).toContain('x &amp; y');
    expect(svg).not.toContain('<m>');
  });

  it('bars go up from zero or down to negative values', () => {
    const svg = barChart({ title: 't', xLabel: 'slot', yLabel: 'effect', bars: [{ label: '#1', value: 5, ci: [4, 6] }, { label: '#2', value: -5 }] });
    expect(svg.match(/<rect class="bar"/g)).toHaveLength(2);
    const heights = [...svg.matchAll(/height="([\d.]+)"><title>/g)].map((m) => Number(m[1]));
    expect(heights[0]).toBeCloseTo(heights[1] as number, 5);
  });

  it('heatmap has a cell per value with its row for click-through', () => {
    const svg = heatmap({ title: 'h', values: [[10, Number.NaN], [90, 50]], rowLabels: ['0', '1'], columnLabels: ['<a>', 'b'] });
    expect(svg.match(/<rect class="cell"/g)).toHaveLength(4);
    expect(svg).toContain('data-row="1"');
    expect(svg).toContain('fill="#d4d4d8"');
    expect(svg).toContain('&lt;a&gt;');
  });

  it('labels scatter points with their text, placed left of points near the right edge so it stays inside', () => {
    const svg = scatterChart({ title: 't', xLabel: 'x', yLabel: 'y', width: 400, series: [{ name: 's', points: [[0, 0], [10, 5]], labels: ['wide-long', '<narrow-long>'] }] });
    const labels = [...svg.matchAll(/<text class="point-label"[^>]* x="([\d.]+)"[^>]* text-anchor="(\w+)"[^>]*>([^<]*)<\/text>/g)].map((m) => [Number(m[1]), m[2], m[3]]);
    expect(labels.map((l) => l.slice(1))).toEqual([['start', 'wide-long'], ['end', '&lt;narrow-long&gt;']]);
    expect(labels[1]![0] as number).toBeLessThan(400 - 16);
  });

  it('leaves room above and to the right of the heatmap for the longest rotated column label', () => {
    for (const labels of [['a', 'b'], ['wide-long', 'wide-short', 'narrow-long'], ['x'.repeat(40)]]) {
      const svg = heatmap({ title: 'h', values: [labels.map(() => 50)], rowLabels: ['0'], columnLabels: labels });
      const width = Number(/ width="(\d+)"/.exec(svg)?.[1]);
      const header = Number(/<rect class="cell" data-row="0" x="\d+" y="(\d+)"/.exec(svg)?.[1]);
      const text = [...svg.matchAll(/translate\(([\d.]+) ([\d.]+)\) rotate\(-60\)" text-anchor="start">([^<]*)</g)];
      expect(text).toHaveLength(labels.length);
      for (const [, x, y, label] of text) {
        // A 10px label of n characters spans about 6.2n px along a line 60 degrees up from its anchor.
        const length = (label as string).length * 6.2;
        expect(Number(x) + length * Math.cos(Math.PI / 3)).toBeLessThanOrEqual(width);
        expect(Number(y) - length * Math.sin(Math.PI / 3)).toBeGreaterThanOrEqual(0);
        expect(Number(y)).toBeLessThan(header);
      }
    }
  });

  it('draws a line per series with a marker per finite point, dashed where asked', () => {
    const svg = lineChart({ title: 'loss', xLabel: 'epoch', yLabel: 'loss', series: [{ name: 'train', points: [[1, 2.5], [2, 2], [3, Number.NaN]] }, { name: 'val <v>', dashed: true, points: [[1, 2.6], [2, 2.3]] }] });
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(4);
    expect(svg.match(/stroke-dasharray="5 3"/g)).toHaveLength(1);
    expect(svg).toContain('val &lt;v&gt;');
  });
});

describe('escaping', () => {
  it.each([
    ['<script>alert("x")</script>', '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'],
    ["it's & done", 'it&#39;s &amp; done'],
  ])('escapeHtml(%j)', (text, expected) => {
    expect(escapeHtml(text)).toBe(expected);
  });

  it('JSON for a script element cannot close it and still parses back', () => {
    const value = { a: '</script><script>x()</script>', b: 'line\u2028sep', c: '&amp;' };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/<\/script/i);
    expect(text).not.toContain('\u2028');
    expect(JSON.parse(text)).toEqual(value);
  });
});
