// Fastify's cookie@2 and Bull Board's content-disposition@3 are ESM-only, which Jest below Node 24.9 cannot require: the -esm preset resolves them.
module.exports = { ...require('@fleet/testing/jest-preset-esm'), testTimeout: 60000 };
