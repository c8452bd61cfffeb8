export type {
  BatchError,
  BatchErrors,
  BatchView,
  CreateBatchInput,
  CreateProfileBody,
  ErrorCode,
  EventType,
  FleetEvent,
  ItemState,
  ItemView,
  PatchProfileBody,
  ProfileView,
  ScenarioView,
  Step,
} from '@fleet/contracts';
export {
  FleetApiError,
  FleetError,
  type FleetErrorCode,
  FleetProtocolError,
  FleetStreamError,
  FleetUnreachableError,
  printableUrl,
} from './errors.js';
export {
  type CallOptions,
  FleetClient,
  type FleetClientOptions,
  type ListOptions,
  type ResultsOptions,
} from './fleet-client.js';
export { type FetchLike, HttpTransport, type RequestOptions, retryAfter } from './http.js';
export type { Page } from './pages.js';
export type { ImportProfilesInput, ProfileQuery, ProfilesApi } from './profiles.js';
export type { ScheduleInput, SchedulesApi } from './schedules.js';
export { BatchWatch, type WatchMessage, type WatchNotice, type WatchOptions } from './watch.js';
