/**
 * A file of this package, to resolve dependencies from where the package is installed (`createRequire(ownFile())`):
 * `__filename` in the CommonJS build; in the ESM build (where `import.meta` cannot be written, as one source compiles
 * to both) the file (URL or path) of this function's own stack frame. Tested from both builds by `npm run check:package`.
 */
export function ownFile(): string {
  if (typeof __filename === 'string') return __filename;
  // `file:///…/own-file.js:9:17` from Node's ESM loader; `/…/own-file.ts:9:17` under a loader with source maps (tsx).
  const frame = /(file:\/\/[^\s()]+?|\/[^\s()]+?):\d+:\d+/.exec(new Error().stack ?? '');
  if (!frame?.[1]) throw new Error('temporal-supervisor could not find its own module file to resolve from');
  return frame[1];
}
