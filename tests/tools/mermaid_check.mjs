// Read a Mermaid diagram on stdin, parse it with mermaid's own parser and render it to SVG
// (in a jsdom document); print what mermaid understood as JSON on stdout:
// {"type", "title", "tasks": [{"section", "task", "score", "people"}], "svg"}.
// A parse or render error exits 1 with mermaid's message on stderr.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body><div id="out"></div></body></html>', {
  pretendToBeVisual: true,
});
for (const name of ['window', 'document', 'DOMParser', 'Element', 'HTMLElement', 'SVGElement',
                    'Node', 'navigator', 'MutationObserver', 'CSSStyleSheet']) {
  if (!(name in globalThis) || name === 'navigator') {
    try { globalThis[name] = dom.window[name]; } catch { /* read-only in this Node */ }
  }
}
// jsdom lays nothing out: give SVG text a size from its length so the renderer can place it
dom.window.SVGElement.prototype.getBBox = function () {
  const text = this.textContent || '';
  return { x: 0, y: 0, width: 8 * text.length, height: 16 };
};
dom.window.SVGElement.prototype.getComputedTextLength = function () {
  return 8 * (this.textContent || '').length;
};

const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
const text = readFileSync(0, 'utf8');
try {
  const parsed = await mermaid.parse(text);
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  const db = diagram.db;
  const tasks = db.getTasks().map((t) => ({
    section: t.section, task: t.task, score: t.score, people: t.people,
  }));
  const { svg } = await mermaid.render('journey', text);
  process.stdout.write(JSON.stringify({
    type: parsed.diagramType, title: db.getDiagramTitle(), tasks, svg,
  }));
} catch (error) {
  process.stderr.write(String(error && error.message ? error.message : error));
  process.exit(1);
}
