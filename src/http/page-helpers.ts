/** Helpers every view may call, kept out of the templates so they stay declarative. */
export function pageHelpers(asset: (name: string) => string) {
  return {
    asset,
    /** `2026-11-25 14:03 UTC`: one unambiguous format, whatever the reader's locale. */
    formatTime(epochMs: number | null): string {
      if (epochMs === null) return '—';
      return `${new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    },
    formatDate(epochMs: number): string {
      return new Date(epochMs).toISOString().slice(0, 10);
    },
    formatCount(n: number): string {
      return n.toLocaleString('en');
    },
  };
}
