module.exports = { ...require('@fleet/testing/jest-preset') };
