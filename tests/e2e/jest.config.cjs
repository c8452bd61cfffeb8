module.exports = { ...require('@fleet/testing/jest-preset-esm'), testTimeout: 120000 };
