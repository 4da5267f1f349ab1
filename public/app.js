// Progressive enhancement: a copy button for the short link. Without JavaScript the link
// stays in a read-only field that can be selected and copied by hand.
document.querySelectorAll('[data-copy]').forEach((button) => {
  const field = document.querySelector(button.getAttribute('data-copy'));
  const status = document.querySelector('.copy-status');
  if (!field || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(field.value);
      if (status) status.textContent = 'Copied to the clipboard.';
    } catch {
      field.select();
      if (status) status.textContent = 'Press Ctrl+C (or ⌘C) to copy.';
    }
  });
});
