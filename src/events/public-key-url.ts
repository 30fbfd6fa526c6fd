/**
 * Where a public key may be fetched from: the configured key host (Adobe: https://static.adobeioevents.com) joined
 * with the relative path from an x-adobe-public-key<n>-path header. A path that could lead anywhere else is refused:
 * an absolute URL, `//host`, `..` or `.` segments, backslashes, encoded characters, a query or a fragment.
 */
export class KeyPathRefusedError extends Error {
  constructor(reason: string) {
    super(`public key path refused: ${reason}`);
    this.name = 'KeyPathRefusedError';
  }
}

const safePathCharacters = /^[A-Za-z0-9._~/-]+$/;
const longestPath = 512;

export function publicKeyUrl(keyHost: URL, path: string): URL {
  if (path.length === 0 || path.length > longestPath) throw new KeyPathRefusedError('empty or too long');
  if (!path.startsWith('/') || path.startsWith('//'))
    throw new KeyPathRefusedError('not a path relative to the key host');
  if (!safePathCharacters.test(path)) throw new KeyPathRefusedError('characters outside a plain path');
  const segments = path.slice(1).split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw new KeyPathRefusedError('empty, "." or ".." segments');
  }
  const url = new URL(`${keyHost.pathname.replace(/\/+$/, '')}${path}`, keyHost.origin);
  if (url.origin !== keyHost.origin) throw new KeyPathRefusedError('resolves to another host');
  return url;
}
