// got 14 and WebdriverIO 9 are ESM-only or ESM-first: the -esm preset resolves them.
module.exports = require('@fleet/testing/jest-preset-esm');
