/**
 * Action name → handler. Names are matched case-insensitively, as Asterisk does.
 * A handler answers through `ctx.respond` (the response, ActionID added) and
 * `ctx.send` (list events that follow it).
 */
import type { AmiField, AmiMessage } from './message';

export interface ActionContext {
  /** The request as received. */
  msg: AmiMessage;
  /** The request's ActionID, if any. */
  actionId?: string;
  /** Value of a request header (case-insensitive). */
  header(name: string): string | undefined;
  /** Send `Response: <status>`, `ActionID`, then `fields`. */
  respond(status: 'Success' | 'Error' | 'Goodbye', fields?: AmiField[]): void;
  /** Shorthand for an error response with a Message. */
  error(message: string): void;
  /** Send a message as is (list events). */
  send(fields: AmiField[]): void;
}

export type ActionHandler<S> = (ctx: ActionContext, session: S) => void | Promise<void>;

export class ActionRegistry<S> {
  private readonly handlers = new Map<string, { name: string; handler: ActionHandler<S> }>();

  register(name: string, handler: ActionHandler<S>): this {
    this.handlers.set(name.toLowerCase(), { name, handler });
    return this;
  }

  get(name: string): ActionHandler<S> | undefined {
    return this.handlers.get(name.toLowerCase())?.handler;
  }

  names(): string[] {
    return [...this.handlers.values()].map((h) => h.name);
  }
}
