// Material 3 colour roles generated from one seed colour (the tonal-spot scheme of
// @material/material-color-utilities), for light and dark, as CSS custom properties `--md-sys-color-<role>` under
// `:root[data-theme="light|dark"]`. Switching theme only flips the attribute; nothing is recomputed.
import { argbFromHex, Hct, hexFromArgb, MaterialDynamicColors, SchemeTonalSpot } from '@material/material-color-utilities';

/** aico's seed colour: every role of both schemes derives from it. */
export const SEED_COLOR = '#4f5bd5';

export const COLOR_ROLES = [
  'primary',
  'onPrimary',
  'primaryContainer',
  'onPrimaryContainer',
  'secondary',
  'onSecondary',
  'secondaryContainer',
  'onSecondaryContainer',
  'tertiary',
  'onTertiary',
  'tertiaryContainer',
  'onTertiaryContainer',
  'error',
  'onError',
  'errorContainer',
  'onErrorContainer',
  'surface',
  'onSurface',
  'surfaceVariant',
  'onSurfaceVariant',
  'surfaceContainerLowest',
  'surfaceContainerLow',
  'surfaceContainer',
  'surfaceContainerHigh',
  'surfaceContainerHighest',
  'outline',
  'outlineVariant',
  'inverseSurface',
  'inverseOnSurface',
  'inversePrimary',
  'scrim',
  'shadow',
] as const;
export type ColorRole = (typeof COLOR_ROLES)[number];
export type ColorScheme = Readonly<Record<ColorRole, string>>;

export function colorScheme(seed: string, dark: boolean): ColorScheme {
  const scheme = new SchemeTonalSpot(Hct.fromInt(argbFromHex(seed)), dark, 0);
  return Object.fromEntries(COLOR_ROLES.map((role) => [role, hexFromArgb(MaterialDynamicColors[role].getArgb(scheme))])) as Record<ColorRole, string>;
}

const cssName = (role: ColorRole) => `--md-sys-color-${role.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;

/** The style sheet text for both themes. */
export function themeCss(seed: string = SEED_COLOR): string {
  return (['light', 'dark'] as const)
    .map((theme) => {
      const scheme = colorScheme(seed, theme === 'dark');
      const declarations = COLOR_ROLES.map((role) => `  ${cssName(role)}: ${scheme[role]};`).join('\n');
      return `:root[data-theme="${theme}"] {\n  color-scheme: ${theme};\n${declarations}\n}`;
    })
    .join('\n');
}

/** WCAG 2 contrast ratio of two #rrggbb colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [lighter, darker] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [number, number];
  return (lighter + 0.05) / (darker + 0.05);
}

function relativeLuminance(hex: string): number {
  const channels = [1, 3, 5].map((index) => parseInt(hex.slice(index, index + 2), 16) / 255);
  const [r, g, b] = channels.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
