import type { StepType } from '../schema.js';
import { approvalStep } from './approval.js';
import { holdStep } from './hold.js';
import { hookStep } from './hook.js';
import { makeRoomStep } from './make-room.js';
import { notifyStep } from './notify.js';
import { reissueStep } from './reissue.js';
import { reviewActivityStep } from './review-activity.js';
import { revokeStep } from './revoke.js';
import { snapshotStep } from './snapshot.js';
import type { StepDefinition } from './types.js';
import { verifyStep } from './verify.js';

/** Every step type, by name. Adding a StepType fails to compile until it has a module here. */
export const STEP_DEFINITIONS: { readonly [T in StepType]: StepDefinition } = {
  snapshot: snapshotStep,
  approval: approvalStep,
  hold: holdStep,
  'make-room': makeRoomStep,
  revoke: revokeStep,
  reissue: reissueStep,
  verify: verifyStep,
  'review-activity': reviewActivityStep,
  hook: hookStep,
  notify: notifyStep,
};
