/** Start-up configuration error; the message names the source and the key (style.md §5). */
export class ConfigError extends Error {
  override name = "ConfigError";
}
