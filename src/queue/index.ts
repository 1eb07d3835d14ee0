export { createDispatch, type Dispatch, type DispatchOptions, type DispatchOperators, type NewWaitingCall } from './create-dispatch';
export { noopObserver, type DispatchObserver } from './dispatch-observer';
export type { WaitingCall } from './call-queue';
export type { OperatorSnapshot, OperatorChange } from './operator-pool';
export type { DispatchConfig } from './dispatcher';
