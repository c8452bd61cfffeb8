export { type NotifierSettings, notifierSchema } from './config.js';
export {
  buildNotifier,
  MAX_MESSAGE_BYTES,
  type Notifier,
  type NotifierDeps,
  type RunningNotifier,
  startNotifier,
} from './notifier.js';
export {
  type Ack,
  MAX_SUBSCRIPTIONS_PER_SOCKET,
  NOTICES,
  type ProtocolError,
} from './protocol.js';
