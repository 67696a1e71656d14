import type { KeyResolver } from './jwt-keys.js';

interface Entry {
  readonly apiId: string;
  readonly resolve: KeyResolver;
}

/**
 * A worker's remote JWKS, one per (API, URL, signing family): every JWT middleware compiled for an API
 * (again after each definition change) resolves keys through the same cached set, made on first use.
 * `flush` forgets the sets of one API or of all (`DELETE /tyk/cache/jwks[/{apiID}]`, which reaches every
 * worker on the key-change channel), so the next token fetches its set again.
 *
 * @example
 * const sets = new JwksSets();
 * const resolve = sets.resolver('api1', url, 'rsa', () => remoteJwks(url, config, 'rsa'));
 * sets.flush('api1'); // or sets.flush('') for every API
 */
export class JwksSets {
  private readonly sets = new Map<string, Entry>();

  /** A resolver that uses the API's current set, made with `make` when there is none. */
  resolver(apiId: string, url: string, family: string, make: () => KeyResolver): KeyResolver {
    const id = `${apiId}\n${family}\n${url}`;
    return (header) => {
      let entry = this.sets.get(id);
      if (entry === undefined) {
        entry = { apiId, resolve: make() };
        this.sets.set(id, entry);
      }
      return entry.resolve(header);
    };
  }

  /** Drops the sets of `apiId` ("" = every API); returns how many were dropped. */
  flush(apiId: string): number {
    if (apiId === '') {
      const n = this.sets.size;
      this.sets.clear();
      return n;
    }
    let n = 0;
    for (const [id, entry] of this.sets) {
      if (entry.apiId !== apiId) continue;
      this.sets.delete(id);
      n++;
    }
    return n;
  }
}
