export {
  type ApiKeyEntry,
  ApiKeyRing,
  bearerToken,
  canSee,
  checkApiKeyEntry,
  MIN_KEY_LENGTH,
  type Principal,
  ROLES,
  type Role,
  sha256Hex,
} from './api-keys.js';
