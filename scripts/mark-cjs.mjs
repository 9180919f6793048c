/**
 * Last step of `npm run build`: marks `dist/cjs` (the CommonJS build of `tsconfig.cjs.json`) as CommonJS, so
 * that Node loads its `.js` files with `require` semantics and TypeScript reads its `.d.ts` as CommonJS
 * declarations, although the package itself is `"type": "module"`.
 */
import { writeFileSync } from 'node:fs';

writeFileSync(new URL('../dist/cjs/package.json', import.meta.url), '{ "type": "commonjs" }\n');
