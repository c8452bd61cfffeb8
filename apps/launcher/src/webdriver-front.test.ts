import { bindNewSession } from './webdriver-front.js';

// The rewrite of new-session bodies, case by case (the live path is in browser-lifecycle.test.ts).

const ADDRESS = '127.0.0.1:9222';

describe('bindNewSession', () => {
  it('creates W3C and legacy capabilities when the body has none', () => {
    expect(bindNewSession({}, ADDRESS)).toEqual({
      capabilities: { alwaysMatch: { 'goog:chromeOptions': { debuggerAddress: ADDRESS } } },
      desiredCapabilities: { 'goog:chromeOptions': { debuggerAddress: ADDRESS } },
    });
    expect(bindNewSession('not an object', ADDRESS)).toHaveProperty('capabilities.alwaysMatch');
  });

  it('keeps other capabilities and options but drops launch-only ones', () => {
    const body = bindNewSession(
      {
        capabilities: {
          alwaysMatch: {
            browserName: 'chrome',
            webSocketUrl: true,
            'goog:chromeOptions': {
              binary: '/x',
              args: ['--a'],
              prefs: {},
              w3c: true,
              debuggerAddress: '1.2.3.4:1',
            },
          },
        },
      },
      ADDRESS,
    );
    expect(body.capabilities).toEqual({
      alwaysMatch: {
        browserName: 'chrome',
        webSocketUrl: true,
        'goog:chromeOptions': { w3c: true, debuggerAddress: ADDRESS },
      },
    });
  });

  it('moves chromeOptions out of firstMatch entries (W3C forbids the same key in both)', () => {
    const body = bindNewSession(
      {
        capabilities: {
          firstMatch: [
            {
              browserName: 'chrome',
              'goog:chromeOptions': { args: ['--x'], windowTypes: [], perfLoggingPrefs: {} },
            },
          ],
        },
      },
      ADDRESS,
    );
    expect(body.capabilities).toEqual({
      alwaysMatch: { 'goog:chromeOptions': { perfLoggingPrefs: {}, debuggerAddress: ADDRESS } },
      firstMatch: [{ browserName: 'chrome' }],
    });
  });

  it('binds legacy desiredCapabilities too', () => {
    const body = bindNewSession(
      { desiredCapabilities: { browserName: 'chrome', 'goog:chromeOptions': { args: [] } } },
      ADDRESS,
    );
    expect(body.desiredCapabilities).toEqual({
      browserName: 'chrome',
      'goog:chromeOptions': { debuggerAddress: ADDRESS },
    });
  });
});
