import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COLOR_ROLES, colorScheme, contrastRatio, SEED_COLOR, themeCss } from './material-theme';

describe('Material 3 colour roles from one seed', () => {
  const light = colorScheme(SEED_COLOR, false);
  const dark = colorScheme(SEED_COLOR, true);

  it('gives every role a colour in both schemes, and the schemes differ', () => {
    for (const scheme of [light, dark]) for (const role of COLOR_ROLES) expect(scheme[role]).toMatch(/^#[0-9a-f]{6}$/);
    expect(light.surface).not.toBe(dark.surface);
  });

  it('makes a light surface light and a dark surface dark', () => {
    expect(contrastRatio(light.surface, '#000000')).toBeGreaterThan(15);
    expect(contrastRatio(dark.surface, '#ffffff')).toBeGreaterThan(15);
  });

  it.each([
    ['onSurface', 'surface'],
    ['onSurfaceVariant', 'surface'],
    ['onPrimary', 'primary'],
    ['onPrimaryContainer', 'primaryContainer'],
    ['onSecondaryContainer', 'secondaryContainer'],
    ['onError', 'error'],
    ['onErrorContainer', 'errorContainer'],
    ['primary', 'surface'],
  ] as const)('keeps %s on %s at WCAG AA contrast (4.5:1) in light and dark', (foreground, background) => {
    expect(contrastRatio(light[foreground], light[background])).toBeGreaterThanOrEqual(4.5);
    expect(contrastRatio(dark[foreground], dark[background])).toBeGreaterThanOrEqual(4.5);
  });

  it('follows the seed: another seed gives another primary', () => {
    expect(colorScheme('#b3261e', false).primary).not.toBe(light.primary);
  });

  it('writes CSS custom properties for both themes under the data-theme attribute', () => {
    const css = themeCss();
    expect(css).toContain(':root[data-theme="light"]');
    expect(css).toContain(':root[data-theme="dark"]');
    expect(css).toContain(`--md-sys-color-on-primary-container: ${light.onPrimaryContainer};`);
    expect(css).toContain('color-scheme: dark;');
  });

  it('computes the WCAG ratio of black on white as 21 and of a colour on itself as 1', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#4f5bd5', '#4f5bd5')).toBe(1);
  });

  // The page loads the generated sheet (the colour library stays out of its JavaScript); it must be this seed's.
  // After changing the seed or the roles: AICO_UPDATE_THEME=1 npx jest -c apps/web/jest.config.js material-theme
  it('is what the committed style sheet holds', () => {
    const file = join(__dirname, 'material-theme.generated.css');
    const expected = `/* Generated from SEED_COLOR by material-theme.spec.ts (AICO_UPDATE_THEME=1); do not edit. */\n${themeCss()}\n`;
    if (process.env['AICO_UPDATE_THEME'] === '1') writeFileSync(file, expected);
    expect(readFileSync(file, 'utf8')).toBe(expected);
  });
});
