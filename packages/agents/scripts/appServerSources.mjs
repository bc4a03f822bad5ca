// Lets a plain Node script import this package's app-server TypeScript sources (run it with
// `--experimental-strip-types`; Node 22.15–22.17 need the flag, 22.18+ strip types by default and accept it): the
// hook maps `./x.js` imports inside `.ts` files to `./x.ts`. Shared by `pnpm gen:app-server` and
// `pnpm record-app-server-fixtures`; importing this module registers the hook.
import { registerHooks } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

registerHooks({
  resolve(specifier, context, next) {
    try {
      return next(specifier, context);
    } catch (error) {
      if (specifier.startsWith(".") && specifier.endsWith(".js") && context.parentURL?.endsWith(".ts")) {
        return next(`${specifier.slice(0, -3)}.ts`, context);
      }
      throw error;
    }
  },
});

/** src/providers/appServer/ of this package. */
export const appServerDir = fileURLToPath(new URL("../src/providers/appServer/", import.meta.url));

/** Imports a TypeScript module of src/providers/appServer/ by file name (e.g. `core.ts`). */
export const importAppServer = (file) => import(path.join(appServerDir, file));
