module.exports = { ...require('@fleet/testing/jest-preset'), testTimeout: 60000 };
