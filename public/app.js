// Progressive enhancement only: every page works without this file.
//
// Copy buttons: `<button data-copy="#field" data-copy-status="#status" data-copied="Copied"
// data-copy-failed="Could not copy…" hidden>`, the two messages in the page's language. The button stays
// hidden unless the Clipboard API exists (it does not on plain http:// outside localhost), so
// nobody sees a button that cannot work; the read-only field can always be selected by hand.

function announce(status, message) {
  if (!status) return;
  // Clearing first makes a screen reader announce the message again on a second click.
  status.textContent = '';
  window.requestAnimationFrame(() => {
    status.textContent = message;
  });
}

document.querySelectorAll('[data-copy]').forEach((button) => {
  const field = document.querySelector(button.getAttribute('data-copy'));
  const status = document.querySelector(button.getAttribute('data-copy-status') || '.copy-status');
  if (!field) return;

  // A click in the read-only field selects the whole link, ready for Ctrl+C or the share menu.
  field.addEventListener('click', () => field.select());

  if (!navigator.clipboard || typeof navigator.clipboard.writeText !== 'function') return;
  button.hidden = false;
  button.addEventListener('click', async () => {
    // Selecting shows what was copied, and leaves the text ready to copy by hand if writing fails.
    field.focus();
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      announce(status, button.getAttribute('data-copied') || '');
    } catch {
      announce(status, button.getAttribute('data-copy-failed') || '');
    }
  });
});
