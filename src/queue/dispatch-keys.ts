/** Redis key names of the operator pool and call ledger; one prefix per installation. */
export class DispatchKeys {
  constructor(readonly prefix: string) {}

  /** Operator hash prefix; the id follows. */
  get operatorPrefix(): string {
    return `${this.prefix}:op:`;
  }
  operator(id: string): string {
    return this.operatorPrefix + id;
  }
  call(id: string): string {
    return `${this.prefix}:call:${id}`;
  }
  /** Every defined operator id. */
  get operators(): string {
    return `${this.prefix}:operators`;
  }
  /** Free operators, scored by idle-since (ms): lowest = idle longest. */
  get free(): string {
    return `${this.prefix}:free`;
  }
  /** Reserved operators, scored by lease deadline (ms). */
  get leases(): string {
    return `${this.prefix}:leases`;
  }
  /** Operators in wrap-up, scored by deadline (ms). */
  get wrapUps(): string {
    return `${this.prefix}:wrapups`;
  }
  get loggedIn(): string {
    return `${this.prefix}:loggedin`;
  }
  /** Set (ms) while no operator is logged in at all. */
  get noOperatorSince(): string {
    return `${this.prefix}:nooperator`;
  }
  /** Pub/sub channel that wakes every instance's dispatcher. */
  get wakeChannel(): string {
    return `${this.prefix}:wake`;
  }
}
