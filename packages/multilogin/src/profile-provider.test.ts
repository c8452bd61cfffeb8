import { mapStatus } from './profile-provider.js';

test('provider status words map to Fleet statuses', () => {
  expect(mapStatus('browser_running')).toBe('running');
  expect(mapStatus('stopped')).toBe('stopped');
  expect(mapStatus('start_browser_error')).toBe('error');
  expect(mapStatus('browser_starting')).toBe('starting');
  expect(mapStatus('core_downloading')).toBe('starting');
  expect(mapStatus('something_new')).toBe('unknown');
});
