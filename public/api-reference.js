// Starts Swagger UI on /api/docs (views/api-reference.ejs): it draws the reference of /api/v1 from
// the OpenAPI document named in data-document. Kept in a file of its own: the CSP allows no
// inline script.

/**
 * What Swagger UI leaves out for assistive technology, added as it draws: its JSON examples
 * scroll sideways but cannot be reached with a keyboard, the authorisation dialog's close button
 * has only an icon, and Try it out's choice of an enumerated parameter has no name.
 */
function completeForAssistiveTechnology(root) {
  root.querySelectorAll('pre.microlight:not([tabindex])').forEach((pre) => {
    pre.setAttribute('tabindex', '0');
  });
  root.querySelectorAll('.close-modal:not([aria-label])').forEach((button) => {
    button.setAttribute('aria-label', 'Close');
  });
  root
    .querySelectorAll('tr[data-param-name] .parameters-col_description select:not([aria-label])')
    .forEach((select) => {
      const row = select.closest('tr[data-param-name]');
      select.setAttribute('aria-label', row.getAttribute('data-param-name'));
    });
}

const root = document.getElementById('api-reference');
if (root && typeof window.SwaggerUIBundle === 'function') {
  new window.MutationObserver(() => completeForAssistiveTechnology(root)).observe(root, {
    childList: true,
    subtree: true,
  });
  window.SwaggerUIBundle({
    domNode: root,
    url: root.getAttribute('data-document'),
    // Swagger UI would otherwise send the document to its makers' validator: nothing leaves snip.
    validatorUrl: null,
    // A key typed into "Authorize" lives as long as the page, never in the browser's storage.
    persistAuthorization: false,
    // Its deep links are anchors inside the operations' toggle buttons (nested controls).
    deepLinking: false,
    docExpansion: 'list',
    defaultModelsExpandDepth: 1,
  });
}
