/** The launcher's version as `GET /api/v1/version` answers it; kept equal to package.json's (a test checks). */
export const LAUNCHER_VERSION = '0.1.0';
