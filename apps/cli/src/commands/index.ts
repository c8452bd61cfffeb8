import {
  batchesCancel,
  batchesDelete,
  batchesErrors,
  batchesList,
  batchesResults,
  batchesShow,
  batchesWatch,
} from './batches-command.js';
import type { Command } from './command.js';
import {
  profilesAdd,
  profilesImport,
  profilesList,
  profilesQuarantine,
  profilesRelease,
} from './profiles-command.js';
import {
  schedulesAdd,
  schedulesList,
  schedulesPause,
  schedulesRemove,
  schedulesResume,
} from './schedules-command.js';
import { submitCommand } from './submit-command.js';

/** Every command, in the order `fleet --help` lists them. */
export const COMMANDS: readonly Command[] = [
  submitCommand,
  batchesList,
  batchesShow,
  batchesWatch,
  batchesCancel,
  batchesResults,
  batchesErrors,
  batchesDelete,
  profilesList,
  profilesAdd,
  profilesImport,
  profilesQuarantine,
  profilesRelease,
  schedulesList,
  schedulesAdd,
  schedulesPause,
  schedulesResume,
  schedulesRemove,
];
