/**
 * The e2e suite's scenario (SCENARIOS_DIR=tests/e2e/scenarios): "logs in" on the fixture site
 * (`/cookie` hands out a session cookie), checkpoints the session, holds (the test kills its worker
 * there), and on a resumed attempt restores the session from the checkpoint instead of logging in
 * again. Its data says which checkpoint it resumed from and which process wrote it.
 */
import { defineScenario } from '@fleet/scenario';
import { z } from 'zod';

type Cookies = Awaited<ReturnType<WebdriverIO.Browser['getCookies']>>;

interface LoggedIn {
  session: string;
  cookies: Cookies;
  pid: number;
}

export default defineScenario({
  name: 'resume-probe',
  version: '1',
  input: z.object({ site: z.url(), holdMs: z.number().int().min(0).max(60_000).default(0) }),
  async run(ctx) {
    const { site, holdMs } = ctx.input;
    let loggedIn: LoggedIn;
    let logins = 0;
    if (ctx.resumed?.name === 'logged-in') {
      loggedIn = ctx.resumed.value as LoggedIn;
      await ctx.goto(`${site}/`);
      await ctx.browser.setCookies(loggedIn.cookies);
    } else {
      await ctx.goto(`${site}/cookie`);
      logins++;
      loggedIn = {
        session: (await ctx.text('#cookie')) ?? '',
        cookies: await ctx.browser.getCookies(),
        pid: process.pid,
      };
      await ctx.checkpoint('logged-in', loggedIn);
      ctx.log('logged in, holding', { holdMs });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, holdMs);
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
        if (ctx.signal.aborted) clearTimeout(timer);
      });
    }
    // The page after "login": the site sees the session cookie (the test checks its visit log).
    await ctx.goto(`${site}/?after=login`);
    const heading = await ctx.text('#heading');
    await ctx.checkpoint('done', { heading });
    return {
      resumedFrom: ctx.resumed?.name ?? null,
      logins,
      session: loggedIn.session,
      checkpointPid: loggedIn.pid,
      pid: process.pid,
      heading,
    };
  },
});
