import type { PermissionOption } from '@agentclientprotocol/sdk';
import { describe, expect, it } from 'vitest';
import { choosePermission } from './acp-permissions.js';

// Gemini 0.61's options for a shell call.
const gemini: PermissionOption[] = [
  { optionId: 'proceed_always', name: 'Allow for this session', kind: 'allow_always' },
  { optionId: 'proceed_once', name: 'Allow', kind: 'allow_once' },
  { optionId: 'cancel', name: 'Reject', kind: 'reject_once' },
];
const picked = (optionId: string) => ({ outcome: { outcome: 'selected', optionId } });

describe('choosePermission: the one approval contract on ACP options', () => {
  it('maps allow once, allow for the session and deny', () => {
    expect(choosePermission(gemini, { kind: 'approval', decision: 'allow_once' })).toEqual({
      response: picked('proceed_once'),
      denied: false,
      cancelTurn: false,
    });
    expect(choosePermission(gemini, { kind: 'approval', decision: 'allow_session' }).response).toEqual(
      picked('proceed_always'),
    );
    expect(choosePermission(gemini, { kind: 'approval', decision: 'deny', message: 'not here' })).toEqual({
      response: picked('cancel'),
      denied: true,
      cancelTurn: false,
    });
  });

  it('deny and stop, and a timeout, reject and cancel the turn', () => {
    expect(choosePermission(gemini, { kind: 'approval', decision: 'deny', stop: true })).toMatchObject({
      response: picked('cancel'),
      cancelTurn: true,
    });
    expect(choosePermission(gemini, { kind: 'timeout' })).toMatchObject({ denied: true, cancelTurn: true });
  });

  it('never picks an allow option that outlives the run', () => {
    const permanent: PermissionOption[] = [
      {
        optionId: 'proceed_always_and_save',
        name: 'Allow this command for all future sessions',
        kind: 'allow_always',
      },
      ...gemini,
    ];
    expect(choosePermission(permanent, { kind: 'approval', decision: 'allow_session' }).response).toEqual(
      picked('proceed_always'),
    );
    const onlyForever: PermissionOption[] = [
      { optionId: 'save', name: 'Always allow', kind: 'allow_always' },
      { optionId: 'once', name: 'Allow', kind: 'allow_once' },
    ];
    expect(choosePermission(onlyForever, { kind: 'approval', decision: 'allow_session' }).response).toEqual(
      picked('once'),
    );
  });

  it('falls back safely when an agent offers fewer options', () => {
    const onceOnly: PermissionOption[] = [{ optionId: 'y', name: 'Yes', kind: 'allow_once' }];
    expect(choosePermission(onceOnly, { kind: 'approval', decision: 'allow_session' }).response).toEqual(
      picked('y'),
    );
    // No reject option: `cancelled` means "not allowed" in ACP.
    expect(choosePermission(onceOnly, { kind: 'approval', decision: 'deny' }).response).toEqual({
      outcome: { outcome: 'cancelled' },
    });
    expect(choosePermission([], { kind: 'approval', decision: 'allow_once' })).toMatchObject({
      denied: true,
    });
    // A question-style answer to an approval is no approval.
    expect(choosePermission(gemini, { kind: 'question', answers: { q1: ['yes'] } })).toMatchObject({
      denied: true,
    });
  });
});
