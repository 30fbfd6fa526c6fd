/**
 * Where a public key may be fetched from: the configured key host (Adobe: https://static.adobeioevents.com) joined
 * with the relative path from an x-adobe-public-key<n>-path header. Only paths of the shape Adobe sends are
 * fetched (`/prod/keys/pub-key-voy5XEbWmT.pem` in its SDKs and samples; the simulator serves
 * `/io-events-keys/pub-key-<uuid>.pem`): one or two plain directories, then `pub-key-<id>.pem`. Anything else is
 * refused before any fetch, so a forged header can neither leave the key host nor name arbitrary files on it.
 */
export class KeyPathRefusedError extends Error {
  constructor(reason: string) {
    super(`public key path refused: ${reason}`);
    this.name = 'KeyPathRefusedError';
  }
}

const longestPath = 200;
/** `/<dir>[/<dir>]/pub-key-<id>.pem`, e.g. /prod/keys/pub-key-voy5XEbWmT.pem. */
const documentedKeyPath = /^\/(?:[A-Za-z0-9-]{1,32}\/){1,2}pub-key-[A-Za-z0-9-]{1,64}\.pem$/;

export function publicKeyUrl(keyHost: URL, path: string): URL {
  if (path.length === 0 || path.length > longestPath) throw new KeyPathRefusedError('empty or too long');
  if (!documentedKeyPath.test(path)) {
    throw new KeyPathRefusedError('not of the documented shape /<dir>/<dir>/pub-key-<id>.pem');
  }
  const url = new URL(`${keyHost.pathname.replace(/\/+$/, '')}${path}`, keyHost.origin);
  if (url.origin !== keyHost.origin) throw new KeyPathRefusedError('resolves to another host');
  return url;
}
