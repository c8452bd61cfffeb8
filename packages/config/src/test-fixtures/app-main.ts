// A stand-in for an app's main.ts, run in a child process by load-config-or-exit.test.ts.
import { jsonList } from '../formats.js';
import { loadConfigOrExit } from '../load-config.js';

const cfg = loadConfigOrExit({
  password: {
    doc: 'provider password',
    env: 'APP_PASSWORD',
    default: '',
    sensitive: true,
    format: 'key-prefix',
  },
  apiKeys: jsonList({ doc: 'API keys', env: 'FLEET_API_KEYS', default: null, sensitive: true }),
});
process.stdout.write(`${JSON.stringify(cfg)}\n`);
