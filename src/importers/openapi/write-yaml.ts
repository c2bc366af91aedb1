/** The built capability as YAML text: a header, the fields in build order, comments beside the values they explain. */
import { yamlLib } from '../../spec/yaml-lib.js';
import type { YamlComment } from './build.js';

export function capabilityYaml(capability: Record<string, unknown>, comments: readonly YamlComment[], header: readonly string[]): string {
  const { Document, isMap, isScalar, isSeq, isPair } = yamlLib();
  const doc = new Document(capability);
  doc.commentBefore = header.map((l) => ` ${l}`).join('\n');
  for (const c of comments) {
    const parent = doc.getIn(c.at.slice(0, -1), true);
    const last = c.at[c.at.length - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === last);
      if (!pair) continue;
      if (isScalar(pair.value)) pair.value.comment = c.text;
      else if (isScalar(pair.key)) pair.key.commentBefore = c.text;
    } else if (isSeq(parent) && typeof last === 'number') {
      const item = parent.items[last] as { commentBefore?: string } | undefined;
      if (item) item.commentBefore = c.text;
    }
  }
  // lineWidth 0: long descriptions stay on one line rather than folded at arbitrary places
  return doc.toString({ lineWidth: 0 });
}
