// The tests build the API in-process (Fastify's cookie@2 and Bull Board's content-disposition@3 are
// ESM-only): the -esm preset resolves them.
module.exports = { ...require('@fleet/testing/jest-preset-esm'), testTimeout: 60000 };
