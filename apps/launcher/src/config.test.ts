import { describeConfig } from '@fleet/config';
import { DEV_EMAIL, DEV_PASSWORD, launcherOptions, readLauncherConfig } from './config.js';

describe('launcher config', () => {
  it('has working development defaults', () => {
    const options = launcherOptions(readLauncherConfig({}));
    expect(options).toEqual({
      port: 45001,
      host: '127.0.0.1',
      dataDir: './data/launcher',
      email: DEV_EMAIL,
      password: DEV_PASSWORD,
      chromiumPath: '/usr/bin/chromium',
      chromedriverPath: '/usr/bin/chromedriver',
      maxBrowsers: 10,
      tokenTtlMs: 1_800_000,
      stopTimeoutMs: 10_000,
      startTimeoutMs: 30_000,
      blockPrivateTargets: true,
      allowedTargets: [],
    });
  });

  it('reads BLOCK_PRIVATE_TARGETS and ALLOWED_TARGETS, and names every bad entry', () => {
    const config = readLauncherConfig({
      BLOCK_PRIVATE_TARGETS: 'false',
      ALLOWED_TARGETS: '127.0.0.1:3005, 10.0.0.0/8',
    });
    expect(launcherOptions(config)).toMatchObject({
      blockPrivateTargets: false,
      allowedTargets: ['127.0.0.1:3005', '10.0.0.0/8'],
    });
    const bad = () =>
      readLauncherConfig({ BLOCK_PRIVATE_TARGETS: 'maybe', ALLOWED_TARGETS: 'ok.test,http://x,h:99999' });
    expect(bad).toThrow(/BLOCK_PRIVATE_TARGETS \(blockPrivateTargets\): must be true or false/);
    expect(bad).toThrow(
      /ALLOWED_TARGETS \(allowedTargets\): "http:\/\/x": write the host[^;]*; "h:99999": the port must be/,
    );
  });

  it('reads LAUNCHER_* variables and masks the password when described', () => {
    const config = readLauncherConfig({
      LAUNCHER_PORT: '0',
      LAUNCHER_HOST: '0.0.0.0',
      LAUNCHER_DATA_DIR: '/tmp/x',
      LAUNCHER_EMAIL: 'ops@example.test',
      LAUNCHER_PASSWORD: 'hunter2-hunter2',
      LAUNCHER_MAX_BROWSERS: '3',
      LAUNCHER_TOKEN_TTL_MS: '1500',
    });
    expect(launcherOptions(config)).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      dataDir: '/tmp/x',
      email: 'ops@example.test',
      password: 'hunter2-hunter2',
      maxBrowsers: 3,
      tokenTtlMs: 1500,
    });
    expect(JSON.stringify(describeConfig(config))).not.toContain('hunter2');
  });

  it('lists every bad setting at once', () => {
    expect(() => readLauncherConfig({ LAUNCHER_PORT: '80x', LAUNCHER_TOKEN_TTL_MS: '-1' })).toThrow(
      /LAUNCHER_PORT[\s\S]*LAUNCHER_TOKEN_TTL_MS|LAUNCHER_TOKEN_TTL_MS[\s\S]*LAUNCHER_PORT/,
    );
  });
});
