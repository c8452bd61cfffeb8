// Real Chromium in every test file: run files one at a time so two cores are not oversubscribed
// and browser start times stay predictable. WebdriverIO is ESM-first: the -esm preset resolves it.
module.exports = { ...require('@fleet/testing/jest-preset-esm'), maxWorkers: 1, testTimeout: 60000 };
