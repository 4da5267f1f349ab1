/**
 * The URL rows of BAD-INPUTS.md that every door refuses with 422, for snip reachable at `ourHost`.
 * One table, so the form and the API are held to exactly the same rows.
 */
export function refusedUrlRows(ourHost: string): [row: string, url: string][] {
  return [
    ['1', 'javascript:alert(document.domain)'],
    ['2', 'JaVaScRiPt:alert(1)'],
    ['3', 'java\tscript:alert(1)'],
    ['4', '\u0001 javascript:alert(1)'],
    ['5', 'data:text/html,<script>alert(1)</script>'],
    ['6', 'file:///etc/passwd'],
    ['7', 'vbscript:msgbox(1)'],
    ['7', 'blob:https://x/1'],
    ['7', 'about:blank'],
    ['7', 'mailto:a@b.c'],
    ['8', 'https://'],
    ['8', 'https://exa mple.com/'],
    ['9', '//evil.example/x'],
    ['11', `https://${ourHost}/abc`],
    ['12', `https://${ourHost.toUpperCase()}./abc`],
    ['12', `https://${ourHost}:443/abc`],
    ['12', `https://user@${ourHost}/abc`],
    ['13', 'https://bit.ly/abc'],
    ['14', 'http://127.0.0.1/'],
    ['14', 'http://2130706433/'],
    ['14', 'http://0x7f.1/'],
    ['14', 'http://127.1/'],
    ['15', 'http://[::1]/'],
    ['15', 'http://[::ffff:127.0.0.1]/'],
    ['15', 'http://10.0.0.1/'],
    ['15', 'http://192.168.1.1/'],
    ['16', 'http://169.254.169.254/latest/meta-data/'],
    ['17', 'http://_api.internal:4280/v1/apps'],
    ['17', 'http://foo.internal/'],
    ['17', 'http://[fdaa::3]/'],
    ['25', 'https://a.example/\r\nSet-Cookie: x=1'],
    ['26', 'https://a.example/\u0000'],
  ];
}
