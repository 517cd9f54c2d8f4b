// Report helper: renders a Vega-Lite spec to an SVG file, in Node, with no browser or canvas.
// Vega-Lite compiles the spec to Vega; Vega's headless View renders SVG (text widths are estimated).
import { writeFileSync } from 'node:fs';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';

const CONFIG = { font: 'sans-serif', background: 'white', view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12 } };

export async function chartSvg(file, spec) {
  const { spec: compiled } = vegaLite.compile({ $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: CONFIG, ...spec });
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  writeFileSync(file, `${svg}\n`);
}
