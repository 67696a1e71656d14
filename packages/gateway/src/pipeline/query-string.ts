/**
 * Reading a raw query string the way Go's `url.Query()` does, which is how Tyk reads the credential
 * parameters (auth.md §1) and the version parameter (api-definition.md §5): pairs split on `&`, names and
 * values form-decoded (`+` is a space), a pair whose name or value does not decode skipped.
 */

/** Form-decodes a query name or value; null when it does not decode (a bad `%xx`, bytes that are not UTF-8). */
export function decodeQueryComponent(s: string): string | null {
  if (s.indexOf('%') === -1 && s.indexOf('+') === -1) return s;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/**
 * First value of a query parameter; '' when absent. As in Go, a pair whose name or value cannot be decoded
 * is skipped, so a later pair of the same name is used.
 */
export function queryParam(query: string, name: string): string {
  if (name === '') return '';
  let from = 0;
  while (from <= query.length) {
    let end = query.indexOf('&', from);
    if (end === -1) end = query.length;
    const eq = query.indexOf('=', from);
    const nameEnd = eq !== -1 && eq < end ? eq : end;
    if (decodeQueryComponent(query.slice(from, nameEnd)) === name) {
      const value = nameEnd === end ? '' : decodeQueryComponent(query.slice(nameEnd + 1, end));
      if (value !== null) return value;
    }
    from = end + 1;
  }
  return '';
}

/** The query without any `name` parameter (strip_auth_data, `strip_versioning_data`). */
export function removeQueryParam(query: string, name: string): string {
  if (query === '') return query;
  return query.split('&').filter((pair) => {
    const eq = pair.indexOf('=');
    return decodeQueryComponent(eq === -1 ? pair : pair.slice(0, eq)) !== name;
  }).join('&');
}
