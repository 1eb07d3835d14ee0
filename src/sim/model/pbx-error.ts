import { Siaga112Error } from '../../core/errors';

/**
 * An operation refused the way Asterisk refuses it: `status` is the HTTP status
 * ARI answers with and `message` Asterisk's own text. `bodyKey` is `error` for
 * the few answers whose JSON key is not `message` (originate: Allocation failed).
 */
export class PbxError extends Siaga112Error {
  readonly status: number;
  readonly bodyKey: 'message' | 'error';

  constructor(status: number, message: string, bodyKey: 'message' | 'error' = 'message') {
    super(`pbx_${status}`, message, status);
    this.status = status;
    this.bodyKey = bodyKey;
  }
}
