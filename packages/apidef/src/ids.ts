import { randomUUID } from "node:crypto";

/**
 * A new `api_id`: a UUIDv4 without dashes, 32 lower-case hex characters, as Tyk generates on
 * `POST /tyk/apis` without one (spec/api-definition.md §1).
 *
 * @example generateApiId() // "3f2b9c0e4d6a4e1f8b7c2d1e0f9a8b7c"
 */
export function generateApiId(): string {
  return randomUUID().replace(/-/g, "");
}
