import {
  type HasSessionState,
  IllegalSessionMoveError,
  moveSession,
  SESSION_MOVES,
  type SessionState,
} from './session-state.js';

const STATES: SessionState[] = ['starting', 'in-use', 'idle', 'released'];

function at(state: SessionState): HasSessionState {
  return { profileId: 'p1', state };
}

describe('session states', () => {
  it('allows exactly the moves of a session’s life', () => {
    const allowed = STATES.flatMap((from) =>
      STATES.filter((to) => {
        try {
          moveSession(at(from), to);
          return true;
        } catch (error) {
          if (!(error instanceof IllegalSessionMoveError)) throw error;
          return false;
        }
      }).map((to) => `${from} → ${to}`),
    );
    expect(allowed).toEqual([
      'starting → in-use',
      'starting → released',
      'in-use → idle',
      'in-use → released',
      'idle → in-use',
      'idle → released',
    ]);
  });

  it('moves the subject to the new state', () => {
    const s = at('starting');
    moveSession(s, 'in-use');
    moveSession(s, 'idle');
    moveSession(s, 'in-use');
    moveSession(s, 'released');
    expect(s.state).toBe('released');
  });

  it('refuses an illegal move with an error naming the session, the move and what is allowed', () => {
    const s = at('idle');
    expect(() => moveSession(s, 'starting')).toThrow(
      'profile session p1 cannot move from idle to starting (from idle it may move to in-use or released)',
    );
    expect(s.state).toBe('idle');
    const released = at('released');
    expect(() => moveSession(released, 'released')).toThrow(/it may move to nothing: it is final/);
    expect(() => moveSession(released, 'in-use')).toThrow(IllegalSessionMoveError);
  });

  it('has a row for every state, and released is final', () => {
    expect(Object.keys(SESSION_MOVES).sort()).toEqual([...STATES].sort());
    expect(SESSION_MOVES.released).toEqual([]);
  });
});
