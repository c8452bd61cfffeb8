import { PROFILE_STATES, type ProfileView } from '@fleet/contracts';
import { shortTime, table } from '../table.js';
import {
  type Command,
  type CommandContext,
  choiceFlag,
  intFlag,
  printJson,
  requiredFlag,
  stringFlag,
  tagsFlag,
} from './command.js';

/** The API's largest page; a listing over every pool cannot page further (cursors are per pool). */
const PAGE = 1000;

function profileRows(profiles: ProfileView[], down: ReadonlySet<string>) {
  return profiles.map((p) => [
    p.id,
    p.pool,
    p.state,
    p.tags.length > 0 ? p.tags.join(',') : null,
    p.launcher ? `${p.launcher}${down.has(p.launcher) ? ' (down)' : ''}` : null,
    p.lease
      ? p.lease.owner
      : p.quarantine
        ? `${p.quarantine.reason} until ${shortTime(p.quarantine.until) ?? 'released'}`
        : null,
    p.stats.leases,
    p.stats.failures,
  ]);
}

const ADD_SYNOPSIS = 'fleet profiles add <id> --pool P [--tags a,b] [--folder F] [--launcher URL] [--json]';
const IMPORT_SYNOPSIS =
  'fleet profiles import --pool P [--tags a,b] [--folder F] [--launcher URL] [--limit N] [--json]';
const PROFILE_HEADER = ['ID', 'POOL', 'STATE', 'TAGS', 'LAUNCHER', 'HELD BY / WHY', 'LEASES', 'FAILURES'];

function printProfile(ctx: CommandContext, profile: ProfileView, verb: string): void {
  if (ctx.flags.json === true) printJson(ctx.out, profile);
  else ctx.out.print(`profile ${profile.id} ${verb} (pool "${profile.pool}", ${profile.state})`);
}

export const profilesList: Command = {
  words: ['profiles', 'list'],
  args: [],
  options: ['pool', 'state', 'json'],
  synopsis: `fleet profiles list [--pool P] [--state ${PROFILE_STATES.join('|')}] [--json]`,
  summary: 'profiles by pool, with their state, lease or quarantine',
  async run(ctx) {
    const pool = stringFlag(ctx.flags, 'pool');
    const state = choiceFlag(ctx.flags, 'state', PROFILE_STATES);
    const profiles: ProfileView[] = [];
    let cursor: string | undefined;
    let more = false;
    do {
      const page = await ctx.api().listProfiles({
        limit: PAGE,
        ...(pool ? { pool } : {}),
        ...(state ? { state } : {}),
        ...(cursor ? { cursor } : {}),
      });
      profiles.push(...page.profiles);
      cursor = pool ? (page.nextCursor ?? undefined) : undefined;
      more = !pool && page.profiles.length >= PAGE;
    } while (cursor);
    if (ctx.flags.json === true) {
      printJson(ctx.out, { profiles });
      return 0;
    }
    if (profiles.length === 0) {
      ctx.out.print(pool ? `no profiles in pool "${pool}"` : 'no profiles');
      return 0;
    }
    // Launcher hosts the workers cannot reach: their profiles rest until the host answers again.
    const { providersDown = [] } = await ctx.api().listPools();
    const down = new Set(providersDown.map((d) => d.provider));
    ctx.out.print(table(PROFILE_HEADER, profileRows(profiles, down)));
    if (more) ctx.out.print(`(the first ${PAGE}: give --pool to list one pool in full)`);
    for (const d of providersDown) {
      ctx.out.print(`launcher ${d.provider} unreachable since ${shortTime(d.since)}: ${d.error}`);
    }
    return 0;
  },
};

export const profilesAdd: Command = {
  words: ['profiles', 'add'],
  args: ['id'],
  options: ['pool', 'tags', 'folder', 'launcher', 'json'],
  synopsis: ADD_SYNOPSIS,
  summary:
    'register one provider profile (its id at Multilogin X or a launcher; --launcher: its home launcher) in a pool',
  async run(ctx) {
    const pool = requiredFlag(ctx.flags, 'pool', ADD_SYNOPSIS);
    const tags = tagsFlag(ctx.flags);
    const folderId = stringFlag(ctx.flags, 'folder');
    const launcher = stringFlag(ctx.flags, 'launcher');
    const profile = await ctx.api().addProfile({
      id: ctx.args.id!,
      pool,
      ...(tags ? { tags } : {}),
      ...(folderId ? { folderId } : {}),
      ...(launcher ? { launcher } : {}),
    });
    printProfile(ctx, profile, 'added');
    return 0;
  },
};

export const profilesImport: Command = {
  words: ['profiles', 'import'],
  args: [],
  options: ['pool', 'tags', 'folder', 'launcher', 'limit', 'json'],
  synopsis: IMPORT_SYNOPSIS,
  summary:
    "register the provider's profiles (all, or one folder's) in a pool; --launcher: a launcher host's, recorded as their home",
  async run(ctx) {
    const pool = requiredFlag(ctx.flags, 'pool', IMPORT_SYNOPSIS);
    const tags = tagsFlag(ctx.flags);
    const folderId = stringFlag(ctx.flags, 'folder');
    const launcher = stringFlag(ctx.flags, 'launcher');
    const limit = intFlag(ctx.flags, 'limit', 1, 10_000);
    const outcome = await ctx.api().importProfiles({
      pool,
      ...(tags ? { tags } : {}),
      ...(folderId ? { folderId } : {}),
      ...(launcher ? { launcher } : {}),
      ...(limit ? { limit } : {}),
    });
    if (ctx.flags.json === true) {
      printJson(ctx.out, outcome);
      return 0;
    }
    ctx.out.print(
      `pool "${outcome.pool}": ${outcome.registered} profiles registered, ${outcome.existing} already there`,
    );
    return 0;
  },
};

export const profilesQuarantine: Command = {
  words: ['profiles', 'quarantine'],
  args: ['id'],
  options: ['reason', 'duration-ms', 'json'],
  synopsis: 'fleet profiles quarantine <id> [--reason R] [--duration-ms N] [--json]',
  summary: 'take a profile out of use (until released, or for N ms); a lease on it is revoked',
  async run(ctx) {
    const reason = stringFlag(ctx.flags, 'reason');
    const durationMs = intFlag(ctx.flags, 'duration-ms', 1, 365 * 24 * 3_600_000);
    const profile = await ctx.api().quarantineProfile(ctx.args.id!, {
      ...(reason ? { reason } : {}),
      ...(durationMs ? { durationMs } : {}),
    });
    printProfile(ctx, profile, 'quarantined');
    return 0;
  },
};

export const profilesRelease: Command = {
  words: ['profiles', 'release'],
  args: ['id'],
  options: ['json'],
  synopsis: 'fleet profiles release <id> [--json]',
  summary: "end a profile's quarantine: it returns to its pool",
  async run(ctx) {
    printProfile(ctx, await ctx.api().releaseProfile(ctx.args.id!), 'released');
    return 0;
  },
};
