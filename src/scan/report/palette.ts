/**
 * Severity colours shared by the HTML tiles, badges, owner table and trend chart, so a
 * colour means the same severity everywhere. Dark red / red / orange / yellow / blue-grey
 * differ in hue and in lightness, so they stay apart in greyscale and for red-green colour
 * blindness; the label is always written next to the colour as well.
 */
export const SEVERITY_COLOURS: Readonly<Record<string, { fill: string; text: string }>> = {
  critical: { fill: '#7b0a0a', text: '#ffffff' },
  high: { fill: '#d32f2f', text: '#ffffff' },
  medium: { fill: '#ef6c00', text: '#ffffff' },
  low: { fill: '#fbc02d', text: '#1d1d1f' },
  info: { fill: '#607d8b', text: '#ffffff' },
};

export function severityColour(severity: string): { fill: string; text: string } {
  return Object.hasOwn(SEVERITY_COLOURS, severity)
    ? (SEVERITY_COLOURS[severity] as { fill: string; text: string })
    : { fill: '#9e9e9e', text: '#1d1d1f' };
}
