/** Q.850 hangup causes as Asterisk names them (ast_cause2str), for the ones the simulator uses. */
export const CAUSE = {
  UNALLOCATED: 1,
  NORMAL_CLEARING: 16,
  USER_BUSY: 17,
  NO_USER_RESPONSE: 18,
  NO_ANSWER: 19,
  CALL_REJECTED: 21,
  REDIRECTED: 23,
  ANSWERED_ELSEWHERE: 26,
  INVALID_NUMBER_FORMAT: 28,
  NORMAL_UNSPECIFIED: 31,
  CONGESTION: 34,
  FAILURE: 38,
  BEARERCAPABILITY_NOTAVAIL: 58,
  INTERWORKING: 127,
} as const;

const TEXT: Record<number, string> = {
  0: 'Unknown',
  1: 'Unallocated (unassigned) number',
  16: 'Normal Clearing',
  17: 'User busy',
  18: 'No user responding',
  19: 'User alerting, no answer',
  21: 'Call Rejected',
  23: 'Redirected to new destination',
  26: 'Answered elsewhere',
  28: 'Invalid number format (addr incomplete)',
  31: 'Normal, unspecified',
  34: 'Circuit/channel congestion',
  38: 'Network out of order',
  58: 'Bearer capability not available',
  127: 'Interworking, unspecified',
};

export function causeText(cause: number): string {
  return TEXT[cause] ?? 'Unknown';
}

/** ARI `DELETE /channels/{id}?reason=` names. */
export const HANGUP_REASONS: Record<string, number> = {
  normal: CAUSE.NORMAL_CLEARING,
  busy: CAUSE.USER_BUSY,
  congestion: CAUSE.CONGESTION,
  no_answer: CAUSE.NO_ANSWER,
  timeout: CAUSE.NO_USER_RESPONSE,
  rejected: CAUSE.CALL_REJECTED,
  unallocated: CAUSE.UNALLOCATED,
  normal_unspecified: CAUSE.NORMAL_UNSPECIFIED,
  number_incomplete: CAUSE.INVALID_NUMBER_FORMAT,
  codec_mismatch: CAUSE.BEARERCAPABILITY_NOTAVAIL,
  interworking: CAUSE.INTERWORKING,
  failure: CAUSE.FAILURE,
  answered_elsewhere: CAUSE.ANSWERED_ELSEWHERE,
};

/** The SIP status Asterisk reports as tech_cause for a cause (PJSIP legs). */
export function sipCodeFor(cause: number): number {
  switch (cause) {
    case CAUSE.USER_BUSY:
      return 486;
    case CAUSE.NO_ANSWER:
      return 480;
    case CAUSE.REDIRECTED:
      return 302;
    default:
      return 0;
  }
}
