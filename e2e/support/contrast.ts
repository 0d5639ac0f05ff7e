import type { Locator } from "@playwright/test";

/** WCAG 2 AA for normal text. */
export const AA = 4.5;

type Rgb = [number, number, number];

function parseRgb(css: string): Rgb {
  const parts = css.match(/[\d.]+/g)?.map(Number) ?? [];
  if (parts.length < 3 || (parts.length > 3 && parts[3] !== 1)) throw new Error(`not an opaque colour: ${css}`);
  return [parts[0]!, parts[1]!, parts[2]!];
}

function luminance(rgb: Rgb): number {
  const [r, g, b] = rgb.map((c) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  }) as Rgb;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The WCAG contrast ratio of an element's text against its own (opaque) background, as it is painted now. */
export async function contrastOf(element: Locator): Promise<number> {
  const [color, background] = await element.evaluate((el) => {
    const style = getComputedStyle(el);
    return [style.color, style.backgroundColor];
  });
  const [light, dark] = [luminance(parseRgb(color)), luminance(parseRgb(background))].sort((a, b) => b - a) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}
