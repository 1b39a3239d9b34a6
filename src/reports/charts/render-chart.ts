import { existsSync } from 'node:fs';

/** Fonts the PNG's text is drawn with; Debian's `fonts-dejavu-core` puts DejaVu Sans here. */
const FONT_FILES = ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf'];

/**
 * A Vega-Lite spec to SVG without a browser: compiled to Vega, run headless (`renderer: 'none'`).
 * The libraries are loaded on first use, so nothing pays for them until a chart is drawn.
 */
export async function specToSvg(spec: Record<string, unknown>): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vl.compile(spec as unknown as Parameters<typeof vl.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** SVG to PNG with resvg; text uses DejaVu Sans when present, else any system font. */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  const { Resvg } = await import('@resvg/resvg-js');
  const fontFiles = FONT_FILES.filter((f) => existsSync(f));
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    font: { fontFiles, loadSystemFonts: fontFiles.length === 0, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

export async function specToPng(spec: Record<string, unknown>): Promise<Buffer> {
  return svgToPng(await specToSvg(spec));
}
