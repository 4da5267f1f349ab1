/**
 * Inline SVG icons for the pages: decorative (the text beside them says the same), so hidden
 * from assistive technology. Inline SVG needs no request and is allowed by the strict CSP (no
 * style attribute). Views write them with `<%- icon('check') %>`.
 */
export const ICONS = {
  logo: '<svg class="icon icon--logo" viewBox="0 0 32 32" width="28" height="28" aria-hidden="true" focusable="false"><rect width="32" height="32" rx="8" fill="currentColor"/><g fill="none" stroke="#fff" stroke-width="2.4" stroke-linecap="round"><circle cx="10" cy="22.5" r="3.6"/><circle cx="22" cy="22.5" r="3.6"/><path d="M12.4 19.8 22.5 6.5M19.6 19.8 9.5 6.5"/></g></svg>',
  alert:
    '<svg class="icon" viewBox="0 0 20 20" width="20" height="20" aria-hidden="true" focusable="false"><circle cx="10" cy="10" r="8.25" fill="none" stroke="currentColor" stroke-width="1.8"/><path d="M10 5.6v5.3" stroke="currentColor" stroke-width="2" stroke-linecap="round"/><circle cx="10" cy="14.2" r="1.25" fill="currentColor"/></svg>',
  copy: '<svg class="icon" viewBox="0 0 20 20" width="20" height="20" aria-hidden="true" focusable="false"><rect x="7" y="7" width="10" height="10" rx="2" fill="none" stroke="currentColor" stroke-width="1.8"/><path d="M13 4.5V4.2A1.7 1.7 0 0 0 11.3 2.5H4.2A1.7 1.7 0 0 0 2.5 4.2v7.1A1.7 1.7 0 0 0 4.2 13h.3" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"/></svg>',
  check:
    '<svg class="icon" viewBox="0 0 20 20" width="20" height="20" aria-hidden="true" focusable="false"><path d="m4.5 10.5 3.5 3.5 7.5-8" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"/></svg>',
} as const;

export type IconName = keyof typeof ICONS;
