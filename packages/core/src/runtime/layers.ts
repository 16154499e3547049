import type { App, Registration } from "../app.ts";
import { type Middleware, wrapsHandlers } from "../middleware/middleware.ts";

/** Composed middleware per registration: the app's (outermost first), then the handler's own. */
const layerCache = new WeakMap<Registration, readonly Middleware[]>();

/** The middleware layers around a registration's handler. */
export function layersOf(app: App, reg: Registration): readonly Middleware[] {
  let layers = layerCache.get(reg);
  if (!layers) {
    // A middleware that only observes settled messages is no layer: plain handlers keep their fast path.
    layers = [...app.middleware, ...reg.middleware].filter(wrapsHandlers);
    layerCache.set(reg, layers);
  }
  return layers;
}
