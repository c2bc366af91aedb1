/** Names the capability format accepts, made from OpenAPI titles, operationIds and paths. */

/** `listPets` → `list-pets`, `Get a User!` → `get-a-user`: lower kebab case, `[a-z0-9-]` only. */
export function kebab(text: string): string {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** `/pets/{petId}/photos` → `pets-petid-photos` (a path's resource name); `/` → `root`. */
export function pathSlug(path: string): string {
  return kebab(path.replace(/[{}]/g, '').replace(/([a-z0-9])([A-Z])/g, '$1$2')) || 'root';
}

/** `petstore-31` → `PETSTORE_31` (a bind variable prefix, `[A-Z][A-Z0-9_]*`). */
export function envPrefix(namespace: string): string {
  const upper = namespace.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return /^[A-Z]/.test(upper) ? upper : `API_${upper}`;
}

/** MCP clients refuse tool names over 64 characters (Bedrock, Claude); operation names follow them. */
export const MAX_NAME = 64;

/** Hands out names unique within one scope: the second `list` is `list-2`, long names are cut. */
export class UniqueNames {
  private readonly taken = new Set<string>();
  take(wanted: string): string {
    const base = wanted.slice(0, MAX_NAME).replace(/-+$/, '') || 'operation';
    let name = base;
    for (let n = 2; this.taken.has(name); n++) name = `${base.slice(0, MAX_NAME - String(n).length - 1).replace(/-+$/, '')}-${n}`;
    this.taken.add(name);
    return name;
  }
}

/** The consumed parameter names the format accepts (`IdentifierExtended`). */
export function isParameterName(name: string): boolean {
  return /^[a-zA-Z0-9_*-]+$/.test(name);
}

/** A path placeholder name the format accepts: `{pet.id}` → `pet_id` (the name never goes upstream). */
export function placeholderName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_-]/g, '_') || 'param';
}
