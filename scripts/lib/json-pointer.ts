import { isRecord } from './errors.js';

/** Result of looking up a local `$ref`; `found: false` means it dangles. */
export type PointerLookup = { found: true; value: unknown } | { found: false };

/** True for refs that point inside the same document (`#` or `#/...`). */
export function isLocalRef(ref: string): boolean {
  return ref === '#' || ref.startsWith('#/');
}

/**
 * Decode a `#/a/b~1c` fragment into path segments. The fragment is a URI fragment,
 * so percent-escapes are decoded first, then RFC 6901 `~1` -> `/` and `~0` -> `~`
 * (in that order, so `~01` becomes `~1` and not `/`).
 */
export function pointerSegments(ref: string): string[] {
  if (ref === '#') return [];
  let fragment = ref.slice(2);
  try {
    fragment = decodeURIComponent(fragment);
  } catch {
    // A stray '%' is not an escape; keep the fragment as written.
  }
  return fragment.split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Follow a local ref through objects and arrays of `root`. */
export function resolvePointer(root: unknown, ref: string): PointerLookup {
  let node: unknown = root;
  for (const segment of pointerSegments(ref)) {
    if (Array.isArray(node)) {
      if (!/^(0|[1-9]\d*)$/.test(segment)) return { found: false };
      const index = Number(segment);
      if (index >= node.length) return { found: false };
      node = node[index];
    } else if (isRecord(node) && Object.hasOwn(node, segment)) {
      node = node[segment];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: node };
}
