// Jest (below Node 24.9) can only `require`. For ESM-only packages (got 14 and its dependencies,
// WebdriverIO's @wdio/*), resolve by the `import` condition and let SWC turn them into CommonJS.
// - Packages whose `require` resolution works keep it (tslib's ESM wrapper breaks under SWC, and
//   bullmq needs tslib's CommonJS build).
// - WebdriverIO (and its `webdriver` package) has a CommonJS entry, but it only does an `await import()` that Jest refuses
//   without --experimental-vm-modules: it and @wdio/* always take the `import` build.
// - `.mjs` files are never transformed on this path, so a package whose import build is `.mjs`
//   keeps its CommonJS build.
const IMPORT_FIRST = /^(webdriverio|webdriver|@wdio\/[^/]+)(\/|$)/;

module.exports = (path, options) => {
  const withImport = () => {
    const conditions = ['import', ...(options.conditions ?? ['require', 'default', 'node'])];
    const resolved = options.defaultResolver(path, { ...options, conditions });
    if (resolved.endsWith('.mjs')) throw new Error('mjs');
    return resolved;
  };
  if (IMPORT_FIRST.test(path)) {
    try {
      return withImport();
    } catch {
      return options.defaultResolver(path, options);
    }
  }
  try {
    return options.defaultResolver(path, options);
  } catch (error) {
    try {
      return withImport();
    } catch {
      throw error;
    }
  }
};
