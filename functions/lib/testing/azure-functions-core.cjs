/**
 * A stand-in for `@azure/functions-core`, the module the Azure Functions Node worker gives
 * `@azure/functions` at run time: it records the programming model and every function the app
 * registers, so `runtime.mjs` can invoke one the way the worker does. Tests only.
 */
"use strict";

const registered = [];
let programmingModel;

class Disposable {
  constructor(callback) {
    this.callback = callback;
  }
  dispose() {
    this.callback?.();
  }
}

module.exports = {
  Disposable,
  registered,
  get programmingModel() {
    return programmingModel;
  },
  setProgrammingModel(model) {
    programmingModel = model;
  },
  getProgrammingModel() {
    return programmingModel;
  },
  registerFunction(metadata, callback) {
    registered.push({ metadata, callback });
    return new Disposable(() => {});
  },
  registerHook() {
    return new Disposable(() => {});
  },
  log() {},
};
