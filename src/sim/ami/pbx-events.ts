/**
 * What the AMI side needs from the PBX model (src/sim/model): a feed of model
 * events and, optionally, a way to place calls for `Originate`. `Pbx` from
 * src/sim/model/pbx.ts satisfies it structurally; tests use a tiny fake.
 */
import type { PbxEvent } from '../model/events';
import type { CallerScript, ChannelSnapshot as ModelChannel } from '../model/types';

export type { PbxEvent };
export type { ModelChannel };

export interface AmiPbx {
  /** Every model event; returns the unsubscribe. */
  onAny(listener: (e: PbxEvent) => void): () => void;
  /** Start a scripted call into the dialplan (AMI Originate of `Local/<exten>@<context>`). */
  placeCall?(script: CallerScript): ModelChannel;
}
