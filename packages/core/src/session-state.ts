/**
 * Where one profile session of a worker is in its life:
 * - `starting`: leased; the browser is being prepared and started (no endpoint yet);
 * - `in-use`: an item drives it;
 * - `idle`: kept warm (lease renewed, browser running) for the next item that fits;
 * - `released`: its browser stopped (or left to a new holder) and its lease given back or lost.
 *   Final: a later checkout of the same profile is a new session.
 */
export type SessionState = 'starting' | 'in-use' | 'idle' | 'released';

/** Every move a session may make; anything else is a bug in the caller. */
export const SESSION_MOVES: Readonly<Record<SessionState, readonly SessionState[]>> = {
  // started → in-use; the start failed, the lease was lost, or the worker is shutting down → released
  starting: ['in-use', 'released'],
  // kept warm → idle; given back, quarantined, lease lost, shutdown → released
  'in-use': ['idle', 'released'],
  // reused by the next item → in-use; idle too long, evicted for real work, lease lost → released
  idle: ['in-use', 'released'],
  released: [],
};

/** A move the table does not allow: a programming error, never the profile's or the item's. */
export class IllegalSessionMoveError extends Error {
  constructor(
    readonly profileId: string,
    readonly from: SessionState,
    readonly to: SessionState,
  ) {
    const allowed = SESSION_MOVES[from];
    super(
      `profile session ${profileId} cannot move from ${from} to ${to} ` +
        `(from ${from} it may move to ${allowed.length > 0 ? allowed.join(' or ') : 'nothing: it is final'})`,
    );
    this.name = 'IllegalSessionMoveError';
  }
}

/** Anything with a state that moves by the table (a session, or the record behind one). */
export interface HasSessionState {
  readonly profileId: string;
  state: SessionState;
}

/** Moves `subject` to `to`, or throws IllegalSessionMoveError when the table does not allow it. */
export function moveSession(subject: HasSessionState, to: SessionState): void {
  if (!SESSION_MOVES[subject.state].includes(to)) {
    throw new IllegalSessionMoveError(subject.profileId, subject.state, to);
  }
  subject.state = to;
}
